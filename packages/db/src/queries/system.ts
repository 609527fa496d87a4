import { desc, eq, lt } from "drizzle-orm";
import type { TDatabase } from "../client";
import { workerHeartbeats } from "../schema";

export type THeartbeatInput = {
  workerId: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: Date;
};

export async function recordHealthCheck(db: TDatabase, worker: THeartbeatInput, jobId: string): Promise<void> {
  const now = new Date();
  await db
    .insert(workerHeartbeats)
    .values({ ...worker, lastSeenAt: now, lastHealthCheckAt: now, lastHealthCheckJobId: jobId })
    .onConflictDoUpdate({
      target: workerHeartbeats.workerId,
      set: { lastSeenAt: now, lastHealthCheckAt: now, lastHealthCheckJobId: jobId },
    });
}

export async function latestHeartbeat(db: TDatabase) {
  const [row] = await db.select().from(workerHeartbeats).orderBy(desc(workerHeartbeats.lastHealthCheckAt)).limit(1);
  return row ?? null;
}

export async function heartbeatOf(db: TDatabase, workerId: string) {
  const [row] = await db.select().from(workerHeartbeats).where(eq(workerHeartbeats.workerId, workerId));
  return row ?? null;
}

export async function pruneHeartbeats(db: TDatabase, olderThan: Date): Promise<void> {
  await db.delete(workerHeartbeats).where(lt(workerHeartbeats.lastSeenAt, olderThan));
}
