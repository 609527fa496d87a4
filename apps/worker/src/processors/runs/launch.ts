import { UnrecoverableError } from "bullmq";
import { isTerminal, updateRunIf } from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { headEnvProblems } from "@lockstep/validators";
import { withTarget } from "../../runtime";
import type { THandler } from "../types";
import { finishRun, isPermanent, loadComputeEnv, loadRun, stopOutcome, workerAudit } from "./common";

/**
 * Starts the Nextflow head with the provider's environment: a sandboxed process, a Slurm job or a
 * Batch job — the compute environment's executor decides how (@lockstep/launcher).
 */
export const launch: THandler<"runs.launch"> = async ({ runId }, job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { skipped: run.status };
  if (run.status === "RUNNING") {
    await enqueue(ctx.queues, "runs.monitor", { runId });
    return { alreadyRunning: true };
  }
  if (run.cancelRequested) {
    const { status, errorMessage } = stopOutcome(run, "cancelled before it started");
    await finishRun(ctx, run, status, { errorMessage });
    return { cancelled: true };
  }
  const ce = await loadComputeEnv(ctx, run);
  if (!ce || !run.runDir) {
    await finishRun(ctx, run, "FAILED", { errorMessage: "its compute environment was deleted before it started" });
    return { failed: true };
  }
  // Rows stored before the variable and Slurm option rules existed are checked again here.
  const refused = headEnvProblems(ce);
  if (refused.length > 0) {
    const errorMessage = `not started: compute environment "${ce.name}" has settings Lockstep no longer allows: ${refused.map((p) => p.message).join("; ")}. Remove ${refused.length === 1 ? "it" : "them"} from the compute environment and launch again.`;
    await finishRun(ctx, run, "FAILED", { errorMessage });
    return { refused: refused.map((p) => p.field) };
  }
  const runDir = run.runDir;
  let ref: string;
  try {
    ({ ref } = await withTarget(ctx, ce, ({ executor }) =>
      executor.start({
        runId: run.id,
        runDir,
        pipeline: run.repository,
        revision: run.revision ?? undefined,
        params: run.params,
        runName: `lockstep-${run.id.slice(0, 8)}`,
        nextflowVersion: ce.nextflowVersion,
        env: ce.env,
        secretsEnv: run.headEnv,
        secretBindings: run.secretBindings,
      }),
    ));
  } catch (error) {
    const message = error instanceof Error ? error.message : "unknown error";
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (isPermanent(error) || lastAttempt) {
      await finishRun(ctx, run, "FAILED", { errorMessage: `could not start: ${message}` });
      throw new UnrecoverableError(message);
    }
    throw error;
  }
  const startedAt = new Date();
  const started = await updateRunIf(
    ctx.db,
    runId,
    { status: ["SUBMITTED"] },
    { status: "RUNNING", startedAt, executorRef: ref },
  );
  if (started) ctx.metrics?.running(run, startedAt);
  await workerAudit(ctx, run, "run.started", { executor: ce.kind, ref });
  await enqueue(ctx.queues, "runs.monitor", { runId });
  return { ref };
};
