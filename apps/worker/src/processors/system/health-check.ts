import { pruneHeartbeats, recordHealthCheck } from "@lockstep/db";
import type { THandler } from "../types";

/** Heartbeats of workers not seen for this long are removed (each worker start adds one). */
const HEARTBEAT_RETENTION_MS = 7 * 24 * 3_600_000;

/** Proves the whole path works: a job enqueued in Redis, consumed here, recorded in Postgres. */
export const healthCheck: THandler<"system.health-check"> = async (payload, job, ctx) => {
  await recordHealthCheck(ctx.db, ctx.worker, job.id ?? "unknown");
  await pruneHeartbeats(ctx.db, new Date(Date.now() - HEARTBEAT_RETENTION_MS));
  ctx.logger.debug({ jobId: job.id, requestedBy: payload.requestedBy }, "health check recorded");
  return { workerId: ctx.worker.workerId };
};
