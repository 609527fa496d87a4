import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { UnrecoverableError } from "bullmq";
import { isTerminal, updateRunIf, type TComputeEnv, type TRun } from "@lockstep/db";
import {
  assertHidden,
  cloudHeadCommand,
  isRemotePipeline,
  javaHomeOutsideUsr,
  nextflowArgs,
  nextflowJavaCommand,
  resolveLocalPipeline,
  SANDBOX_HELP,
  stageNextflow,
  writeHeadScript,
  writeParamsFile,
} from "@lockstep/launcher";
import { enqueue } from "@lockstep/queue";
import { headEnvProblems } from "@lockstep/validators";
import { handOver, isolationOf, runOwner, withTarget, type TTarget } from "../../runtime";
import type { THandler, TProcessorContext } from "../types";
import { finishRun, isPermanent, loadComputeEnv, loadRun, workerAudit } from "./common";

/** Settings every head gets, wherever it runs: plain logs, no update check. */
const HEAD_FLAGS = { NXF_ANSI_LOG: "false", NXF_DISABLE_CHECK_LATEST: "true" };

async function startOnHost(ctx: TProcessorContext, target: Extract<TTarget, { place: "host" }>, run: TRun, ce: TComputeEnv, runDir: string) {
  const isolation = isolationOf(ctx.runtime);
  if (isolation.problem && !isolation.unsafeUnsandboxed) {
    throw new UnrecoverableError(`local and Slurm runs need a sandbox and this worker cannot make one: ${isolation.problem}. ${SANDBOX_HELP}`);
  }
  // A local path is checked once more right before Nextflow reads it; Nextflow gets the resolved main.nf.
  const local = isRemotePipeline(run.repository) ? null : await resolveLocalPipeline(run.repository, ctx.runtime.localPipelineRoots ?? []);
  if (local && !local.ok) throw new UnrecoverableError(local.message);
  // Its directory is shown to the sandbox read-only (nothing above it), never where Lockstep's secrets are.
  if (local) assertHidden({ ...isolation.sandbox, readOnly: [local.dir] }, isolation.hidden);
  const runsDir = run.cleanupTarget?.provider === "nextflow-file" ? run.cleanupTarget.runsDir : ce.workDir;
  let lib: string;
  try {
    lib = stageNextflow(await ctx.runtime.nextflowLib(ce.nextflowVersion), runsDir, ce.nextflowVersion);
  } catch (error) {
    throw new UnrecoverableError(`Nextflow ${ce.nextflowVersion} is not available: ${error instanceof Error ? error.message : "unknown error"}`);
  }
  const java = ctx.runtime.java ?? "java";
  const javaHome = javaHomeOutsideUsr(java);
  const tmp = join(runDir, "tmp");
  const paramsFile = await writeParamsFile(runDir, run.params);
  const command = [
    ...nextflowJavaCommand(lib, { java, tmpDir: tmp }),
    ...nextflowArgs({
      pipeline: local ? local.mainScript : run.repository,
      revision: run.revision ?? undefined,
      runDir,
      workDir: join(runDir, "work"),
      // Params reach Nextflow in a 0600 file, never as options.
      paramsFile,
      runName: `lockstep-${run.id.slice(0, 8)}`,
    }),
  ];
  const script = await writeHeadScript(runDir, command);
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  const owner = await runOwner(ctx, ce, run);
  await handOver([script, tmp, paramsFile], owner);
  const env = {
    ...ce.env,
    ...run.headEnv,
    ...HEAD_FLAGS,
    NXF_HOME: join(runDir, ".nextflow"),
    NXF_OFFLINE: "true",
    // No plugin downloads (the plugin registry is not reachable from many clusters) and no stray
    // /tmp/nxf-* folders when a run aborts.
    NXF_PLUGINS_DEFAULT: "false",
    NXF_TEMP: tmp,
  };
  return target.executor.start({ runId: run.id, runDir, script, env, readOnly: [lib, ...(javaHome ? [javaHome] : []), ...(local ? [local.dir] : [])], ...(owner ? { identity: owner } : {}) });
}

async function startInCloud(target: Extract<TTarget, { place: "cloud" }>, run: TRun, ce: TComputeEnv, runDir: string) {
  const args = nextflowArgs({
    pipeline: run.repository,
    revision: run.revision ?? undefined,
    runDir,
    workDir: `${runDir}/work`,
    runName: `lockstep-${run.id.slice(0, 8)}`,
    place: "cloud",
  });
  const { command, env: configEnv } = cloudHeadCommand(target.cloud, args, run.params);
  const env = { ...ce.env, ...run.headEnv, ...configEnv, ...HEAD_FLAGS };
  return target.start({ runId: run.id, env, command, bindings: run.secretBindings });
}

/** Starts the Nextflow head with the provider's environment: a process, a Slurm job or a Batch job. */
export const launch: THandler<"runs.launch"> = async ({ runId }, job, ctx) => {
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
    ({ ref } = await withTarget(ctx, ce, (target) => (target.place === "host" ? startOnHost(ctx, target, run, ce, runDir) : startInCloud(target, run, ce, runDir))));
  } catch (error) {
    const message = error instanceof Error ? error.message : "unknown error";
    const lastAttempt = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
    if (isPermanent(error) || lastAttempt) {
      await finishRun(ctx, run, "FAILED", { errorMessage: `could not start: ${message}` });
      throw new UnrecoverableError(message);
    }
    throw error;
  }
  await updateRunIf(ctx.db, runId, { status: ["SUBMITTED"] }, { status: "RUNNING", startedAt: new Date(), executorRef: ref });
  await workerAudit(ctx, run, "run.started", { executor: ce.kind, ref });
  await enqueue(ctx.queues, "runs.monitor", { runId });
  return { ref };
};
