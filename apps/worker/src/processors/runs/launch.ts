import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { UnrecoverableError } from "bullmq";
import { isTerminal, updateRunIf } from "@lockstep/db";
import { nextflowArgs, writeHeadScript } from "@lockstep/launcher";
import { enqueue } from "@lockstep/queue";
import { executorFor } from "../../runtime";
import type { THandler } from "../types";
import { finishRun, loadComputeEnv, loadRun, workerAudit } from "./common";

/** Starts the Nextflow head process with the provider's environment. */
export const launch: THandler<"runs.launch"> = async ({ runId }, _job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { skipped: run.status };
  if (run.status === "RUNNING") {
    await enqueue(ctx.queues, "runs.monitor", { runId });
    return { alreadyRunning: true };
  }
  if (run.cancelRequested) {
    await finishRun(ctx, run, "CANCELLED", { errorMessage: "cancelled before it started" });
    return { cancelled: true };
  }
  const ce = await loadComputeEnv(ctx, run);
  if (!ce || !run.runDir) {
    await finishRun(ctx, run, "FAILED", { errorMessage: "its compute environment was deleted before it started" });
    return { failed: true };
  }
  let nextflow: string[];
  try {
    nextflow = await ctx.runtime.nextflowCommand(ce.nextflowVersion);
  } catch (error) {
    const message = `Nextflow ${ce.nextflowVersion} is not available: ${error instanceof Error ? error.message : "unknown error"}`;
    await finishRun(ctx, run, "FAILED", { errorMessage: message });
    throw new UnrecoverableError(message);
  }
  const command = [
    ...nextflow,
    ...nextflowArgs({
      pipeline: run.repository,
      revision: run.revision ?? undefined,
      runDir: run.runDir,
      workDir: join(run.runDir, "work"),
      params: run.params,
      runName: `lockstep-${run.id.slice(0, 8)}`,
    }),
  ];
  const script = await writeHeadScript(run.runDir, command);
  await mkdir(join(run.runDir, "tmp"), { recursive: true });
  const env = {
    ...ce.env,
    ...run.headEnv,
    NXF_HOME: join(run.runDir, ".nextflow"),
    NXF_OFFLINE: "true",
    NXF_ANSI_LOG: "false",
    NXF_DISABLE_CHECK_LATEST: "true",
    // No plugin downloads (the plugin registry is not reachable from many clusters) and no stray
    // /tmp/nxf-* folders when a run aborts.
    NXF_PLUGINS_DEFAULT: "false",
    NXF_TEMP: join(run.runDir, "tmp"),
  };
  const { ref } = await executorFor(ce, ctx.runtime).start({ runId, runDir: run.runDir, script, env });
  await updateRunIf(ctx.db, runId, { status: ["SUBMITTED"] }, { status: "RUNNING", startedAt: new Date(), executorRef: ref });
  await workerAudit(ctx, run, "run.started", { executor: ce.kind, ref });
  await enqueue(ctx.queues, "runs.monitor", { runId });
  return { ref };
};
