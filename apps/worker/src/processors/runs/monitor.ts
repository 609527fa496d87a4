import { DelayedError } from "bullmq";
import { appendRunLog, isTerminal, lastRunLogSeq, updateRunIf, type TRun } from "@lockstep/db";
import { errorKind, LOG_MAX_STORED_LINES, type TExecutor } from "@lockstep/launcher";
import { createRedactor } from "@lockstep/redact";
import { enqueue } from "@lockstep/queue";
import { withTarget } from "../../runtime";
import type { THandler, TProcessorContext } from "../types";
import { finishRun, loadComputeEnv, loadRun, openRunSecrets, OVERDUE, releaseHead } from "./common";

/**
 * Copies new console output into the run's log, where the executor has it (heads on this machine;
 * a cloud head logs to the cloud's logging service): whole lines, every secret value redacted,
 * every byte made storable, at most LOG_MAX_STORED_LINES lines and then one marker; and records
 * the task counts. Never throws: output that cannot be stored must not keep the run from ending or
 * its secrets from being deleted. If a batch is refused, a marker takes its place and the log
 * moves on. What is logged about a failure is its kind, never its text (which could quote a line).
 */
async function collectOutput(
  ctx: TProcessorContext,
  run: TRun,
  executor: TExecutor,
  final: boolean,
  opening: Promise<string[]> | null,
) {
  if (!run.runDir || !executor.collect || !opening) return;
  let stored: number;
  let collected;
  try {
    const [seq, values] = await Promise.all([lastRunLogSeq(ctx.db, run.id), opening]);
    stored = seq;
    collected = await executor.collect({
      runDir: run.runDir,
      offset: run.logOffset,
      redactor: createRedactor(values),
      final,
      room: LOG_MAX_STORED_LINES - stored,
    });
  } catch (error) {
    ctx.logger.warn(
      { runId: run.id, err: errorKind(error) },
      "could not read the run's console log; going on without it",
    );
    return;
  }
  if (collected.progress) {
    await updateRunIf(ctx.db, run.id, {}, { progress: collected.progress }).catch((error: unknown) => {
      ctx.logger.warn({ runId: run.id, err: errorKind(error) }, "could not record the run's progress");
    });
  }
  const tail = collected.log;
  if (!tail) {
    ctx.logger.warn(
      { runId: run.id, err: collected.logError ?? "unknown" },
      "could not read the run's console log; going on without it",
    );
    return;
  }
  const lines = tail.full
    ? [
        ...tail.lines,
        `[Lockstep stores the first ${LOG_MAX_STORED_LINES} lines of a run's log; the rest is only in console.log in the run directory]`,
      ]
    : tail.lines;
  try {
    await appendRunLog(ctx.db, run.id, lines);
  } catch (error) {
    ctx.logger.warn(
      { runId: run.id, lines: lines.length, err: errorKind(error) },
      "could not store lines of the run's log; storing a marker instead",
    );
    try {
      await appendRunLog(ctx.db, run.id, [`[${lines.length} lines of the log could not be stored]`]);
    } catch {
      return; // the database itself is away: the next look tries the same lines again
    }
  }
  try {
    await updateRunIf(ctx.db, run.id, {}, { logOffset: tail.offset });
  } catch (error) {
    ctx.logger.warn({ runId: run.id, err: errorKind(error) }, "could not record how far the run's log was read");
  }
}

/**
 * The run's secret values for the redactor of its console. Started before the look at the head:
 * opening is the costliest step between a head's end and FINISHED, and the look does not need it.
 * A failure is caught here and met again (and reported) where the values are awaited.
 */
function openForRedactor(ctx: TProcessorContext, run: TRun, executor: TExecutor): Promise<string[]> | null {
  if (!run.runDir || !executor.collect) return null;
  const opening =
    run.secretRefs.length > 0
      ? openRunSecrets(ctx, run, { checkValues: false }).then((o) => o.opened.map((s) => s.value))
      : Promise.resolve([]);
  opening.catch(() => undefined);
  return opening;
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
  const head = { runId, runDir: run.runDir, ref: run.executorRef };
  let lookAgain = false;
  const outcome = await withTarget(ctx, ce, async ({ executor }) => {
    const opening = openForRedactor(ctx, run, executor);
    const state = await executor.status(head);
    if (state.state === "finished") {
      // One pass to the end of the console (opening the run's secrets once for the redactor), then the end.
      await collectOutput(ctx, run, executor, true, opening);
      await finishRun(ctx, run, state.exitCode === 0 ? "SUCCEEDED" : "FAILED", {
        exitCode: state.exitCode,
        errorMessage: state.exitCode === 0 ? null : `Nextflow exited with code ${state.exitCode}`,
      });
      await releaseHead(ctx, executor, head);
      return { finished: state.exitCode };
    }
    await collectOutput(ctx, run, executor, false, opening);
    if (state.state === "vanished") {
      await finishRun(ctx, run, "LOST", { errorMessage: state.detail });
      await releaseHead(ctx, executor, head);
      return { lost: true };
    }
    if (ctx.exitWatch?.takeHeadGone(runId)) {
      // The head ended while this look ran (its watch found it gone): no watch again, and no interval.
      lookAgain = true;
    } else if (executor.watchExit && ctx.exitWatch) {
      const watchExit = executor.watchExit.bind(executor);
      ctx.exitWatch.ensure(
        runId,
        (wake) => watchExit(head, wake),
        () => withTarget(ctx, ce, async ({ executor: e }) => (await e.status(head)).state === "running"),
      );
    }
    if (run.deadlineAt.getTime() < Date.now()) {
      await executor.cancel(head);
      await finishRun(ctx, run, "FAILED", { errorMessage: OVERDUE });
      await releaseHead(ctx, executor, head);
      return { overdue: true };
    }
    return null;
  });
  if (outcome) {
    ctx.exitWatch?.drop(runId);
    return outcome;
  }
  // Still running: look again shortly, as the same job (one monitor per run, surviving restarts).
  await job.moveToDelayed(Date.now() + (lookAgain ? 0 : ctx.runtime.monitorIntervalMs), token);
  throw new DelayedError();
};
