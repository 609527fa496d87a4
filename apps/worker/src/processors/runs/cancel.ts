import { isTerminal } from "@lockstep/db";
import { withTarget } from "../../runtime";
import type { THandler } from "../types";
import { finishRun, loadComputeEnv, loadRun, releaseHead } from "./common";

/** Stops the head (and with it every task) and ends the run as CANCELLED. */
export const cancel: THandler<"runs.cancel"> = async ({ runId }, _job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { ended: run.status };
  const ce = await loadComputeEnv(ctx, run);
  const { executorRef: ref, runDir } = run;
  if (run.status === "RUNNING" && ref && runDir && ce) {
    const head = { runId, runDir, ref };
    await withTarget(ctx, ce, async ({ executor }) => {
      await executor.cancel(head);
      await finishRun(ctx, run, "CANCELLED", { errorMessage: "cancelled" });
      await releaseHead(ctx, executor, head);
    });
    return { cancelled: true };
  }
  await finishRun(ctx, run, "CANCELLED", { errorMessage: "cancelled" });
  return { cancelled: true };
};
