import { recordAudit, recordComputeEnvCheck, getComputeEnvById } from "@lockstep/db";
import type { TProviderKind } from "@lockstep/secrets";
import { withTarget } from "../../runtime";
import type { THandler } from "../types";

const MAX_MESSAGE = 500;

/** How the check names a secrets store that answered. */
const STORE: Record<TProviderKind, string> = {
  "nextflow-file": "The runs directory",
  "aws-secrets-manager": "Secrets Manager",
  "google-secret-manager": "Secret Manager",
};

/**
 * "Check connection" for a compute environment: opens its credentials, lists the secrets Lockstep
 * manages in its store (credentials open, authenticate and may list) and asks its executor whether
 * it can run heads (the Batch API for the queue or location; the sandbox and Slurm on this
 * machine). A failed check is the answer the admin asked for, so it is recorded and the job
 * succeeds; only a failure to record it is retried.
 */
export const check: THandler<"computeEnvs.check"> = async ({ computeEnvId, requestedAt }, _job, ctx) => {
  const ce = await getComputeEnvById(ctx.db, computeEnvId);
  if (!ce) return { skipped: "deleted" };

  let ok: boolean;
  let message: string;
  try {
    message = await withTarget(ctx, ce, async ({ provider, executor }) => {
      await provider.listManaged();
      const { reached } = await executor.check();
      return `${STORE[provider.kind]} and ${reached} reachable`;
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
