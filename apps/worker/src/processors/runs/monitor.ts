import { open, readFile } from "node:fs/promises";
import { join } from "node:path";
import { DelayedError } from "bullmq";
import { appendRunLog, isTerminal, updateRunIf, type TRun } from "@lockstep/db";
import { maskValues, summariseTrace } from "@lockstep/launcher";
import { enqueue } from "@lockstep/queue";
import { withTarget } from "../../runtime";
import type { THandler, TProcessorContext } from "../types";
import { finishRun, loadComputeEnv, loadRun, openRunSecrets, releaseHead } from "./common";

const MAX_READ = 256 * 1024;

/** Copies new console output into the run's log, every secret value masked first. */
async function collectLog(ctx: TProcessorContext, run: TRun) {
  if (!run.runDir) return;
  let handle;
  try {
    handle = await open(join(run.runDir, "console.log"), "r");
  } catch {
    return;
  }
  try {
    const { size } = await handle.stat();
    if (size <= run.logOffset) return;
    const length = Math.min(size - run.logOffset, MAX_READ);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, run.logOffset);
    const text = buffer.toString("utf8");
    // Only whole lines: a partial last line waits for the next look (unless the read was capped).
    const end = length === MAX_READ ? text.length : text.lastIndexOf("\n") + 1;
    if (end <= 0) return;
    const values = run.secretRefs.length > 0 ? (await openRunSecrets(ctx, run, { checkValues: false })).opened.map((s) => s.value) : [];
    const lines = text.slice(0, end).split("\n").filter((l, i, all) => i < all.length - 1 || l !== "").map((l) => maskValues(l, values));
    await appendRunLog(ctx.db, run.id, lines);
    await updateRunIf(ctx.db, run.id, {}, { logOffset: run.logOffset + Buffer.byteLength(text.slice(0, end)) });
  } finally {
    await handle.close();
  }
}

async function progressOf(run: TRun) {
  if (!run.runDir) return null;
  try {
    return summariseTrace(await readFile(join(run.runDir, "trace.tsv"), "utf8"));
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
      await collectLog(ctx, run);
      const progress = await progressOf(run);
      if (progress) await updateRunIf(ctx.db, runId, {}, { progress });
    }

    if (state.state === "finished") {
      const fresh = await loadRun(ctx, runId);
      if (host) await collectLog(ctx, fresh);
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
