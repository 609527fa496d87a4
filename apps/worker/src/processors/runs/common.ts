import { UnrecoverableError } from "bullmq";
import {
  getComputeEnvById,
  getRun,
  isTerminal,
  recordAudit,
  recordValueCheck,
  sealedForRefs,
  updateRunIf,
  type TRun,
} from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { ExecutorError, type TExecutor, type THeadHandle } from "@lockstep/launcher";
import { ProviderError } from "@lockstep/secrets";
import { secretValueProblem, type TAuditAction, type TTerminalRunStatus } from "@lockstep/validators";
import type { TProcessorContext } from "../types";
import { emit } from "../../webhooks/emit";

export async function loadRun(ctx: TProcessorContext, runId: string) {
  const run = await getRun(ctx.db, runId);
  if (!run) throw new UnrecoverableError(`run ${runId} does not exist`);
  return run;
}

export async function loadComputeEnv(ctx: TProcessorContext, run: TRun) {
  return run.computeEnvId ? getComputeEnvById(ctx.db, run.computeEnvId) : null;
}

export function workerAudit(
  ctx: TProcessorContext,
  run: TRun,
  action: TAuditAction,
  detail: Record<string, string | number | boolean | string[] | null> = {},
) {
  return recordAudit(ctx.db, {
    actorId: null,
    actorEmail: null,
    ip: null,
    userAgent: `lockstep-worker/${ctx.worker.version}`,
    action,
    workspaceId: run.workspaceId,
    targetType: "run",
    targetId: run.id,
    targetName: run.pipelineName,
    runId: run.id,
    detail,
  });
}

/** A run past its compute environment's maximum run time ends FAILED with this, whoever notices: the monitor or the sweeper. */
export const OVERDUE = "stopped: it ran past its compute environment's maximum run time";

/** How a run that is being stopped ends: overdue is a failure, anything else a cancellation. */
export function stopOutcome(
  run: Pick<TRun, "deadlineAt">,
  cancelled = "cancelled",
  now = Date.now(),
): { status: "FAILED" | "CANCELLED"; errorMessage: string } {
  return run.deadlineAt.getTime() < now
    ? { status: "FAILED", errorMessage: OVERDUE }
    : { status: "CANCELLED", errorMessage: cancelled };
}

/**
 * Moves a run to a terminal status (once: the status condition lets one of any number of racing
 * callers through) and schedules the deletion of its secrets. The deletion is scheduled before the
 * audit event and the webhook, which nothing about it waits for; a second caller enqueues the same
 * job id, which is one job.
 */
export async function finishRun(
  ctx: TProcessorContext,
  run: TRun,
  status: TTerminalRunStatus,
  extra: { exitCode?: number | null; errorMessage?: string | null } = {},
) {
  const updated = await updateRunIf(
    ctx.db,
    run.id,
    { status: ["SUBMITTED", "RUNNING"] },
    { status, finishedAt: new Date(), ...extra },
  );
  const current = updated ?? run;
  try {
    if (isTerminal(current.status) && current.secretsState !== "NONE" && current.secretsState !== "DELETED")
      await enqueue(ctx.queues, "runs.cleanup", { runId: run.id });
  } finally {
    // Recorded even when the enqueue failed: a retry finds the run ended already and would not.
    if (updated) await workerAudit(ctx, run, "run.finished", { status, exitCode: extra.exitCode ?? null });
    if (updated) await emit(ctx, "run.finished", updated);
  }
}

/**
 * Opens the run's secrets in memory (for provisioning and log masking). Never logged.
 * Every value is checked against the value rules before anything can write it to a store: a value
 * sealed in a client was never checked in plaintext, and Nextflow's sidecar turns a `"` or a
 * backtick into shell code in the task. A value that breaks a rule refuses the whole set (a
 * non-retryable ProviderError naming the secret and the rule, an audit event, and the rule
 * recorded on the secret for the secrets list). Log masking passes `checkValues: false`: it must
 * see every value, good or not, to hide it.
 */
export async function openRunSecrets(ctx: TProcessorContext, run: TRun, opts: { checkValues?: boolean } = {}) {
  const rows = await sealedForRefs(ctx.db, run.secretRefs);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = run.secretRefs
    .filter((ref) => !byId.has(ref.secretId))
    .map((r) => ({ name: r.name, source: r.source }));
  const opened = [];
  const broken: Array<{ id: string; sealed: string; label: string; problem: string }> = [];
  for (const ref of run.secretRefs) {
    const row = byId.get(ref.secretId);
    if (!row) continue;
    const ownerId = (row.scope === "workspace" ? row.workspaceId : row.userId)!;
    const value = await ctx.keys.opening.open(row.sealed, { scope: row.scope, ownerId, name: row.name });
    const problem = opts.checkValues === false ? null : secretValueProblem(value);
    if (problem) broken.push({ id: row.id, sealed: row.sealed, label: `${ref.name} (${ref.source} secret)`, problem });
    opened.push({ id: row.id, name: ref.name, source: ref.source, version: row.version, value });
  }
  if (broken.length > 0) {
    for (const b of broken) await recordValueCheck(ctx.db, b.id, b.sealed, `Secret value ${b.problem}.`);
    await workerAudit(ctx, run, "secrets.refused", {
      names: broken.map((b) => b.label),
      rules: broken.map((b) => b.problem),
    });
    throw new ProviderError(broken.map((b) => `secret ${b.label}: its value ${b.problem}`).join("; "), false);
  }
  return { opened, missing };
}

/**
 * Whether a failure to provision, start or stop a run is worth retrying. Executors and providers
 * say so themselves (ExecutorError, ProviderError); anything else (the database away, an
 * unexpected failure) is retried until the job's last attempt.
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof UnrecoverableError) return true;
  if (error instanceof ExecutorError || error instanceof ProviderError) return !error.retryable;
  return false;
}

/** Frees what the executor kept for an ended run (AWS: the per-run job definition). Best effort: nothing secret is left in it. */
export async function releaseHead(ctx: TProcessorContext, executor: TExecutor, head: THeadHandle) {
  try {
    await executor.release(head);
  } catch (error) {
    ctx.logger.warn(
      { runId: head.runId, err: error instanceof Error ? error.message : "unknown error" },
      "could not release the run's head job resources",
    );
  }
}
