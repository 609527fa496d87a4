import { UnrecoverableError } from "bullmq";
import { bumpCleanupAttempts, isTerminal, updateRunIf } from "@lockstep/db";
import { jobCatalog } from "@lockstep/queue";
import { ProviderError } from "@lockstep/secrets";
import { withTarget } from "../../runtime";
import type { THandler } from "../types";
import { loadComputeEnv, loadRun, workerAudit } from "./common";
import { redactRunLogs } from "./redact";

/**
 * Deletes every pushed copy of a run's secrets. Transient failures are retried with exponential
 * backoff (the catalog's attempts); a permanent one — or the last attempt — leaves the run in
 * CLEANUP_FAILED with an audit event, which the UI shows as an alert.
 */
export const cleanup: THandler<"runs.cleanup"> = async ({ runId }, job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (run.secretsState === "NONE" || run.secretsState === "DELETED") return { nothing: run.secretsState };
  if (!isTerminal(run.status)) return { notEnded: run.status };
  await updateRunIf(ctx.db, runId, { secretsState: ["PENDING", "PROVISIONED", "DELETING", "CLEANUP_FAILED"] }, { secretsState: "DELETING" });
  // No plaintext left in the run's log files; never throws, so deletion below always follows.
  await redactRunLogs(ctx, run);
  const ce = await loadComputeEnv(ctx, run);
  let providerKind = "";
  try {
    if (!ce) throw new ProviderError("the run's compute environment was deleted; its secrets store cannot be reached", false);
    await withTarget(ctx, ce, async (target) => {
      providerKind = target.provider.kind;
      await target.provider.cleanup({ runId, workspaceId: run.workspaceId });
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : "unknown error";
    await bumpCleanupAttempts(ctx.db, runId, message);
    const permanent = error instanceof ProviderError && !error.retryable;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? jobCatalog["runs.cleanup"].options.attempts);
    if (permanent || lastAttempt) {
      await updateRunIf(ctx.db, runId, {}, { secretsState: "CLEANUP_FAILED" });
      await workerAudit(ctx, run, "secrets.cleanup_failed", { error: message, attempts: job.attemptsMade + 1 });
      ctx.logger.error({ runId, attempts: job.attemptsMade + 1, err: message }, "secrets of a finished run could not be deleted");
      throw new UnrecoverableError(message);
    }
    throw error;
  }
  await updateRunIf(ctx.db, runId, {}, { secretsState: "DELETED", secretsDeletedAt: new Date(), lastCleanupError: null });
  await workerAudit(ctx, run, "secrets.deleted", { provider: providerKind, attempts: job.attemptsMade + 1 });
  return { deleted: true };
};
