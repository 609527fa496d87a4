import { UnrecoverableError } from "bullmq";
import { bumpCleanupAttempts, isTerminal, updateRunIf, type TCleanupTarget, type TRun } from "@lockstep/db";
import { jobCatalog } from "@lockstep/queue";
import { ProviderError, type TSecretsProvider } from "@lockstep/secrets";
import { providerForStore, storeOf, withTarget } from "../../runtime";
import type { THandler, TProcessorContext } from "../types";
import { emit } from "../../webhooks/emit";
import { loadComputeEnv, loadRun, workerAudit } from "./common";
import { redactRunLogs } from "./redact";

/**
 * The store a run's copies went to: the one recorded at provision. Runs provisioned before stores
 * were recorded fall back to their compute environment's current settings.
 */
async function recordedStore(ctx: TProcessorContext, run: TRun): Promise<TCleanupTarget> {
  if (run.cleanupTarget) return run.cleanupTarget;
  const ce = await loadComputeEnv(ctx, run);
  if (!ce) throw new ProviderError("the run's compute environment was deleted and no store was recorded for it", false);
  return storeOf(ce, run, null);
}

/** "Deleted" is written only once the store answers that nothing of the run is left. */
async function verifyGone(provider: TSecretsProvider, runId: string) {
  const left = (await provider.listManaged()).filter((c) => c.runId === runId);
  if (left.length > 0)
    throw new ProviderError(
      `${left.length} cop${left.length === 1 ? "y is" : "ies are"} still there after deletion`,
      true,
    );
}

/**
 * AWS Batch: the job definitions that name the run's secret ARNs — the head's and those nf-lockstep
 * registered in the head for its tasks — are deregistered too, and the executor checks none is left
 * ACTIVE; a failure is retried like a deletion. (Without its compute environment there is no
 * account to reach; the sweeper cannot either, and the definitions hold ARNs, never values.)
 */
async function releaseExecutor(ctx: TProcessorContext, run: TRun) {
  const ce = await loadComputeEnv(ctx, run);
  if (ce?.kind !== "aws-batch") return;
  await withTarget(ctx, ce, ({ executor }) =>
    executor.release({ runId: run.id, runDir: run.runDir ?? "", ref: run.executorRef ?? "" }),
  );
}

/**
 * Deletes every pushed copy of a run's secrets. Transient failures are retried with exponential
 * backoff (the catalog's attempts); a permanent one — or the last attempt — leaves the run in
 * CLEANUP_FAILED with an audit event, which the UI shows as an alert.
 *
 * The store's copies go first, then the run's log files are redacted (values from Postgres, not
 * the store), then the run is recorded DELETED with the time the store answered that nothing was
 * left. The copies are what a process on the machine or in the cloud can still use, so nothing
 * waits before them; the run stays DELETING until the redaction is recorded too, so a worker that
 * dies in between leaves a run the sweeper hands to a cleanup again (deletion is idempotent, the
 * redaction is done once per run). A failed deletion does not hold back the redaction either.
 */
export const cleanup: THandler<"runs.cleanup"> = async ({ runId }, job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (run.secretsState === "NONE" || run.secretsState === "DELETED") return { nothing: run.secretsState };
  if (!isTerminal(run.status)) return { notEnded: run.status };
  await updateRunIf(
    ctx.db,
    runId,
    { secretsState: ["PENDING", "PROVISIONED", "DELETING", "CLEANUP_FAILED"] },
    { secretsState: "DELETING" },
  );
  let providerKind = "";
  let location = "";
  let deletedAt = new Date();
  try {
    const store = await recordedStore(ctx, run);
    location =
      store.provider === "nextflow-file" || store.provider === "ssh-file"
        ? store.secretsDir
        : `${store.prefix}${runId}`;
    const { provider, close } = await providerForStore(ctx, run.workspaceId, store);
    try {
      providerKind = provider.kind;
      await provider.cleanup({ runId, workspaceId: run.workspaceId });
      await verifyGone(provider, runId);
      // The moment the store reported nothing left (before the executor's own release, which on
      // AWS lists the region's job definitions).
      deletedAt = new Date();
    } finally {
      await close().catch(() => {});
    }
    await releaseExecutor(ctx, run);
  } catch (error) {
    // The log files are redacted on the first attempt whatever the store does (never throws).
    await redactRunLogs(ctx, run);
    const message = error instanceof Error ? error.message : "unknown error";
    await bumpCleanupAttempts(ctx.db, runId, message);
    const permanent = error instanceof ProviderError && !error.retryable;
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? jobCatalog["runs.cleanup"].options.attempts);
    if (permanent || lastAttempt) {
      await updateRunIf(ctx.db, runId, {}, { secretsState: "CLEANUP_FAILED" });
      await workerAudit(ctx, run, "secrets.cleanup_failed", { error: message, attempts: job.attemptsMade + 1 });
      await emit(ctx, "run.cleanup_failed", run, { attempts: job.attemptsMade + 1 });
      ctx.logger.error(
        { runId, attempts: job.attemptsMade + 1, err: message },
        "secrets of a finished run could not be deleted",
      );
      throw new UnrecoverableError(message);
    }
    throw error;
  }
  // No plaintext left in the run's log files either; never throws.
  await redactRunLogs(ctx, run);
  await updateRunIf(
    ctx.db,
    runId,
    {},
    { secretsState: "DELETED", secretsDeletedAt: deletedAt, lastCleanupError: null },
  );
  ctx.metrics?.deleted(run, deletedAt);
  await workerAudit(ctx, run, "secrets.deleted", {
    provider: providerKind,
    location,
    verified: true,
    attempts: job.attemptsMade + 1,
  });
  return { deleted: true };
};
