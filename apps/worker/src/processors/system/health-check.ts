import { recordHealthCheck } from "@lockstep/db";
import type { THandler } from "../types";

/** Proves the whole path works: a job enqueued in Redis, consumed here, recorded in Postgres. */
export const healthCheck: THandler<"system.health-check"> = async (payload, job, ctx) => {
  await recordHealthCheck(ctx.db, ctx.worker, job.id ?? "unknown");
  ctx.logger.debug({ jobId: job.id, requestedBy: payload.requestedBy }, "health check recorded");
  return { workerId: ctx.worker.workerId };
};
