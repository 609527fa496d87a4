import { latestHeartbeat, pingDatabase, probe } from "@lockstep/db";
import { pingRedis } from "@lockstep/queue";
import { services } from "~/server/services";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Liveness of the web tier and of what it depends on. 200 when Postgres and Redis answer. */
export async function GET() {
  const { db, redis } = services();
  const [postgres, redisProbe] = await Promise.all([probe(() => pingDatabase(db)), probe(() => pingRedis(redis))]);
  let worker: { lastHealthCheckAt: string | null; workerId: string | null } = {
    lastHealthCheckAt: null,
    workerId: null,
  };
  if (postgres.ok) {
    const beat = await latestHeartbeat(db).catch(() => null);
    worker = { lastHealthCheckAt: beat?.lastHealthCheckAt?.toISOString() ?? null, workerId: beat?.workerId ?? null };
  }
  const ok = postgres.ok && redisProbe.ok;
  return Response.json(
    { status: ok ? "ok" : "degraded", service: "web", postgres, redis: redisProbe, worker },
    { status: ok ? 200 : 503, headers: { "cache-control": "no-store" } },
  );
}
