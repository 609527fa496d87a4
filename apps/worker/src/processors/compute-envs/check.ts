import { getComputeEnvById, recordAudit, recordComputeEnvCheck } from "@lockstep/db";
import { withTarget } from "../../runtime";
import type { THandler } from "../types";

const MAX_MESSAGE = 500;

/**
 * "Check connection" for a cloud compute environment: opens its credentials, lists the secrets
 * Lockstep manages under its prefix (credentials open, authenticate and may ListSecrets) and asks
 * the Batch API about the configured queue or location. A failed check is the answer the admin
 * asked for, so it is recorded and the job succeeds; only a failure to record it is retried.
 */
export const check: THandler<"computeEnvs.check"> = async ({ computeEnvId, requestedAt }, _job, ctx) => {
  const ce = await getComputeEnvById(ctx.db, computeEnvId);
  if (!ce) return { skipped: "deleted" };
  if (ce.kind !== "aws-batch" && ce.kind !== "google-batch") return { skipped: ce.kind };

  let ok: boolean;
  let message: string;
  try {
    message = await withTarget(ctx, ce, async (target) => {
      if (target.place !== "cloud") throw new Error(`${ce.kind} environments are not checked`);
      await target.provider.listManaged();
      await target.check();
      const store = ce.kind === "aws-batch" ? "Secrets Manager" : "Secret Manager";
      const head = target.cloud.kind === "aws-batch" ? `job queue ${target.cloud.jobQueue}` : `Batch in ${target.cloud.projectId}/${target.cloud.region}`;
      return `${store} and ${head} reachable`;
    });
    ok = true;
  } catch (error) {
    ok = false;
    // Provider and executor messages name the call and the cloud's reason; they never hold a secret value.
    message = (error instanceof Error && error.message ? error.message : "unknown error").replace(/\s+/g, " ").trim().slice(0, MAX_MESSAGE);
  }

  const recorded = await recordComputeEnvCheck(ctx.db, ce.id, new Date(requestedAt), { ok, message, at: new Date() });
  if (!recorded) return { superseded: true };
  await recordAudit(ctx.db, {
    actorId: null,
    actorEmail: null,
    ip: null,
    userAgent: `lockstep-worker/${ctx.worker.version}`,
    action: "computeEnv.checked",
    workspaceId: ce.workspaceId,
    targetType: "compute-env",
    targetId: ce.id,
    targetName: ce.name,
    detail: { ok },
  });
  ctx.logger.info({ computeEnvId: ce.id, ok }, "compute environment checked");
  return { ok };
};
