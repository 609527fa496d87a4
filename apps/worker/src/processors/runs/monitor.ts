import { DelayedError } from "bullmq";
import { appendRunLog, isTerminal, lastRunLogSeq, updateRunIf, type TRun } from "@lockstep/db";
import { LOG_MAX_STORED_LINES, readLogTail, readTraceSummary } from "@lockstep/launcher";
import { createRedactor } from "@lockstep/redact";
import { enqueue } from "@lockstep/queue";
import { withTarget } from "../../runtime";
import type { THandler, TProcessorContext } from "../types";
import { finishRun, loadComputeEnv, loadRun, openRunSecrets, releaseHead } from "./common";

/** What may be logged about a failure to store the log: its kind, never its text (which could quote a line). */
function failureKind(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : null;
  return [typeof e?.name === "string" ? e.name : "Error", code].filter(Boolean).join(" ");
}

/**
 * Copies new console output into the run's log: whole lines, every secret value redacted, every
 * byte made storable (see readLogTail), at most LOG_MAX_STORED_LINES lines and then one marker.
 * Never throws: a log that cannot be stored must not keep the run from ending or its secrets
 * from being deleted. If a batch is refused, a marker takes its place and the log moves on.
 */
async function collectLog(ctx: TProcessorContext, run: TRun, final: boolean) {
  if (!run.runDir) return;
  let stored: number;
  let tail;
  try {
    stored = await lastRunLogSeq(ctx.db, run.id);
    const values = run.secretRefs.length > 0 ? (await openRunSecrets(ctx, run, { checkValues: false })).opened.map((s) => s.value) : [];
    tail = await readLogTail(run.runDir, "console.log", run.logOffset, createRedactor(values), { final, room: LOG_MAX_STORED_LINES - stored });
  } catch (error) {
    ctx.logger.warn({ runId: run.id, err: failureKind(error) }, "could not read the run's console log; going on without it");
    return;
  }
  const lines = tail.full ? [...tail.lines, `[Lockstep stores the first ${LOG_MAX_STORED_LINES} lines of a run's log; the rest is only in console.log in the run directory]`] : tail.lines;
  try {
    await appendRunLog(ctx.db, run.id, lines);
  } catch (error) {
    ctx.logger.warn({ runId: run.id, lines: lines.length, err: failureKind(error) }, "could not store lines of the run's log; storing a marker instead");
    try {
      await appendRunLog(ctx.db, run.id, [`[${lines.length} lines of the log could not be stored]`]);
    } catch {
      return; // the database itself is away: the next look tries the same lines again
    }
  }
  try {
    await updateRunIf(ctx.db, run.id, {}, { logOffset: tail.offset });
  } catch (error) {
    ctx.logger.warn({ runId: run.id, err: failureKind(error) }, "could not record how far the run's log was read");
  }
}

async function progressOf(run: TRun) {
  if (!run.runDir) return null;
  try {
    return await readTraceSummary(run.runDir);
  } catch {
    return null;
  }
}

/** Looks at a running run; re-schedules itself until the run ends, then schedules the cleanup. */
export const monitor: THandler<"runs.monitor"> = async ({ runId }, job, ctx, token) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { ended: run.status };
  if (run.status !== "RUNNING" || !run.executorRef || !run.runDir) return { notRunning: run.status };
  const ce = await loadComputeEnv(ctx, run);
  if (!ce) {
    await finishRun(ctx, run, "LOST", { errorMessage: "its compute environment was deleted while it ran" });
    return { lost: true };
  }
  if (run.cancelRequested) {
    await enqueue(ctx.queues, "runs.cancel", { runId });
    return { cancelling: true };
  }
  const ref = run.executorRef;
  const runDir = run.runDir;
  const outcome = await withTarget(ctx, ce, async (target) => {
    const state = await target.head.status(ref, runDir);
    // Host heads write their console log and trace next to the worker; a cloud head's log is in
    // the cloud's logging service (CloudWatch, Cloud Logging) under the job's name.
    const host = target.place === "host";
    if (host) {
      await collectLog(ctx, run, false);
      const progress = await progressOf(run);
      if (progress) await updateRunIf(ctx.db, runId, {}, { progress });
    }

    if (state.state === "finished") {
      const fresh = await loadRun(ctx, runId);
      if (host) await collectLog(ctx, fresh, true);
      await finishRun(ctx, fresh, state.exitCode === 0 ? "SUCCEEDED" : "FAILED", {
        exitCode: state.exitCode,
        errorMessage: state.exitCode === 0 ? null : `Nextflow exited with code ${state.exitCode}`,
      });
      await releaseHead(ctx, target, runId);
      return { finished: state.exitCode };
    }
    if (state.state === "vanished") {
      await finishRun(ctx, run, "LOST", { errorMessage: state.detail });
      await releaseHead(ctx, target, runId);
      return { lost: true };
    }
    if (run.deadlineAt.getTime() < Date.now()) {
      await target.head.cancel(ref, runDir);
      await finishRun(ctx, run, "FAILED", { errorMessage: "stopped: it ran past its compute environment's maximum run time" });
      await releaseHead(ctx, target, runId);
      return { overdue: true };
    }
    return null;
  });
  if (outcome) return outcome;
  // Still running: look again shortly, as the same job (one monitor per run, surviving restarts).
  await job.moveToDelayed(Date.now() + ctx.runtime.monitorIntervalMs, token);
  throw new DelayedError();
};
