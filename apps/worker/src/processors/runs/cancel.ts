import { isTerminal } from "@lockstep/db";
import { executorFor } from "../../runtime";
import type { THandler } from "../types";
import { finishRun, loadComputeEnv, loadRun } from "./common";

/** Stops the head process (and with it every task) and ends the run as CANCELLED. */
export const cancel: THandler<"runs.cancel"> = async ({ runId }, _job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { ended: run.status };
  const ce = await loadComputeEnv(ctx, run);
  if (run.status === "RUNNING" && run.executorRef && run.runDir && ce) {
    await executorFor(ce, ctx.runtime).cancel(run.executorRef, run.runDir);
  }
  await finishRun(ctx, run, "CANCELLED", { errorMessage: "cancelled" });
  return { cancelled: true };
};
