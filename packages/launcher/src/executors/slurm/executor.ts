import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TExecutor, THeadState } from "../../executor";
import { readExitCode } from "../../head-script";

const run = promisify(execFile);

export type TSlurmConfig = { partition?: string; sbatchOptions: string[] };

const ACTIVE = new Set(["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT"]);

/**
 * The Nextflow head job submitted with sbatch. The job gets the head environment (paths only —
 * the secrets stay in the 0600 store file on the shared filesystem, never in sbatch's environment).
 */
export function slurmExecutor(config: TSlurmConfig, opts: { baseEnv: Record<string, string> }): TExecutor {
  return {
    kind: "slurm",

    async start(job) {
      const exports = ["ALL", ...Object.keys(job.env)].join(",");
      const args = [
        "--parsable",
        `--job-name=lockstep-${job.runId}`,
        `--chdir=${job.runDir}`,
        `--output=${join(job.runDir, "slurm-%j.out")}`,
        `--export=${exports}`,
        ...(config.partition ? [`--partition=${config.partition}`] : []),
        ...config.sbatchOptions,
        job.script,
      ];
      const { stdout } = await run("sbatch", args, { env: { ...opts.baseEnv, ...job.env }, timeout: 30_000 });
      const id = stdout.trim().split(";")[0] ?? "";
      if (!/^\d+$/.test(id)) throw new Error(`sbatch answered ${JSON.stringify(stdout.trim().slice(0, 200))}`);
      return { ref: id };
    },

    async status(ref, runDir): Promise<THeadState> {
      const exitCode = await readExitCode(runDir);
      if (exitCode !== null) return { state: "finished", exitCode };
      const { stdout } = await run("squeue", ["-h", "-j", ref, "-o", "%T"], { env: opts.baseEnv, timeout: 30_000 }).catch(() => ({ stdout: "" }));
      const state = stdout.trim();
      if (ACTIVE.has(state)) return { state: "running" };
      const late = await readExitCode(runDir);
      if (late !== null) return { state: "finished", exitCode: late };
      const acct = await run("sacct", ["-n", "-X", "-P", "-j", ref, "-o", "State,ExitCode"], { env: opts.baseEnv, timeout: 30_000 }).catch(() => ({ stdout: "" }));
      const [accState, accExit] = acct.stdout.trim().split("\n")[0]?.split("|") ?? [];
      if (accState && ACTIVE.has(accState.split(" ")[0]!)) return { state: "running" };
      return { state: "vanished", detail: `Slurm job ${ref} ${accState ? `ended ${accState} (${accExit})` : "is unknown to squeue and sacct"} without an exit code` };
    },

    async cancel(ref) {
      await run("scancel", [ref], { env: opts.baseEnv, timeout: 30_000 }).catch(() => undefined);
    },
  };
}
