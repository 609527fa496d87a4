import { UnrecoverableError } from "bullmq";
import { getComputeEnvById, getRun, isTerminal, recordAudit, sealedForRefs, updateRunIf, type TRun } from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { ProviderError } from "@lockstep/secrets";
import type { TTarget } from "../../runtime";
import type { TProcessorContext } from "../types";

export async function loadRun(ctx: TProcessorContext, runId: string) {
  const run = await getRun(ctx.db, runId);
  if (!run) throw new UnrecoverableError(`run ${runId} does not exist`);
  return run;
}

export async function loadComputeEnv(ctx: TProcessorContext, run: TRun) {
  return run.computeEnvId ? getComputeEnvById(ctx.db, run.computeEnvId) : null;
}

export function workerAudit(ctx: TProcessorContext, run: TRun, action: string, detail: Record<string, string | number | boolean | string[] | null> = {}) {
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

/** Moves a run to a terminal status (once) and schedules the deletion of its secrets. */
export async function finishRun(
  ctx: TProcessorContext,
  run: TRun,
  status: "SUCCEEDED" | "FAILED" | "CANCELLED" | "LOST",
  extra: { exitCode?: number | null; errorMessage?: string | null } = {},
) {
  const updated = await updateRunIf(ctx.db, run.id, { status: ["SUBMITTED", "RUNNING"] }, { status, finishedAt: new Date(), ...extra });
  if (updated) await workerAudit(ctx, run, "run.finished", { status, exitCode: extra.exitCode ?? null });
  const current = updated ?? run;
  if (!isTerminal(current.status)) return;
  if (current.secretsState !== "NONE" && current.secretsState !== "DELETED") await enqueue(ctx.queues, "runs.cleanup", { runId: run.id });
}

/** Opens the run's secrets in memory (for provisioning and log masking). Never logged. */
export async function openRunSecrets(ctx: TProcessorContext, run: TRun) {
  const rows = await sealedForRefs(ctx.db, run.secretRefs);
  const byId = new Map(rows.map((r) => [r.id, r]));
  const missing = run.secretRefs.filter((ref) => !byId.has(ref.secretId)).map((r) => ({ name: r.name, source: r.source }));
  const opened = [];
  for (const ref of run.secretRefs) {
    const row = byId.get(ref.secretId);
    if (!row) continue;
    const ownerId = (row.scope === "workspace" ? row.workspaceId : row.userId)!;
    const value = await ctx.keys.opening.open(row.sealed, { scope: row.scope, ownerId, name: row.name });
    opened.push({ id: row.id, name: ref.name, value });
  }
  return { opened, missing };
}

// gRPC codes a retry cannot fix: INVALID_ARGUMENT, NOT_FOUND, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED, UNAUTHENTICATED.
const PERMANENT_GRPC = new Set([3, 5, 7, 9, 11, 12, 16]);

/**
 * Whether a failure to start or stop a head is worth retrying. Cloud answers say so themselves
 * (AWS: 4xx other than throttling/timeouts; Google: the gRPC code); a plain Error without a system
 * error code is a check of ours (a bad environment name) and will fail the same way again.
 */
export function isPermanent(error: unknown): boolean {
  if (error instanceof UnrecoverableError) return true;
  if (error instanceof ProviderError) return !error.retryable;
  const e = error as { code?: unknown; $metadata?: { httpStatusCode?: number }; name?: string };
  const status = e?.$metadata?.httpStatusCode;
  if (typeof status === "number") return status >= 400 && status < 500 && status !== 408 && status !== 429;
  if (typeof e?.code === "number") return PERMANENT_GRPC.has(e.code);
  if (typeof e?.code === "string") return false;
  return error instanceof Error && e.name === "Error";
}

/** Frees what the executor kept for an ended run (AWS: the per-run job definition). Best effort: nothing secret is left in it. */
export async function releaseHead(ctx: TProcessorContext, target: TTarget, runId: string) {
  try {
    await target.head.release(runId);
  } catch (error) {
    ctx.logger.warn({ runId, err: error instanceof Error ? error.message : "unknown error" }, "could not release the run's head job resources");
  }
}
