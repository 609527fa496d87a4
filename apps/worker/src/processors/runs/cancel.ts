import { isTerminal } from "@lockstep/db";
import { withTarget } from "../../runtime";
import type { THandler } from "../types";
import { finishRun, loadComputeEnv, loadRun, releaseHead, stopOutcome } from "./common";

/**
 * Stops the head (and with it every task) and ends the run: CANCELLED, or FAILED when it is being
 * stopped for running past its maximum run time (the sweeper asks for that through this job).
 */
export const cancel: THandler<"runs.cancel"> = async ({ runId }, _job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { ended: run.status };
  const ce = await loadComputeEnv(ctx, run);
  const { executorRef: ref, runDir } = run;
  if (run.status === "RUNNING" && ref && runDir && ce) {
    const head = { runId, runDir, ref };
    await withTarget(ctx, ce, async ({ executor }) => {
      await executor.cancel(head);
      const { status, errorMessage } = stopOutcome(run);
      await finishRun(ctx, run, status, { errorMessage });
      await releaseHead(ctx, executor, head);
    });
    return { cancelled: true };
  }
  const { status, errorMessage } = stopOutcome(run);
  await finishRun(ctx, run, status, { errorMessage });
  return { cancelled: true };
};
