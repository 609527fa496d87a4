import { execFile } from "node:child_process";
import { chmod, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TExecutor, THeadState } from "../../executor";
import { readExitCode, shellQuote } from "../../head-script";
import { sandboxArgs, sandboxBaseEnv, type TSandboxConfig } from "../../sandbox";

const run = promisify(execFile);

export type TSlurmConfig = { partition?: string; sbatchOptions: string[] };

const ACTIVE = new Set(["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT"]);

/**
 * The Nextflow head job submitted with sbatch, on the worker's own machine as submit host (host
 * Slurm: single-tenant, instance admins only — docs/security.md). The batch script starts the same
 * bubblewrap sandbox a local head gets, with an environment it sets itself (`env -i`): sbatch is
 * called with `--export=PATH`, so nothing of the worker's environment reaches the job. Run as
 * root, the worker submits the job as the unprivileged run user (`--uid`/`--gid`).
 */
export function slurmExecutor(config: TSlurmConfig, opts: { baseEnv: Record<string, string>; sandbox: TSandboxConfig }): TExecutor {
  // sbatch/squeue/scancel need only PATH and where the cluster's config is.
  const clientEnv = { PATH: opts.baseEnv.PATH ?? "/usr/bin:/bin", ...(opts.baseEnv.SLURM_CONF ? { SLURM_CONF: opts.baseEnv.SLURM_CONF } : {}) };
  return {
    kind: "slurm",

    async start(job) {
      const env = { ...sandboxBaseEnv(job.runDir), ...job.env };
      const bwrap = sandboxArgs({ ...opts.sandbox, readOnly: [...opts.sandbox.readOnly, ...job.readOnly] }, job.runDir, ["/bin/sh", job.script]);
      const batch = join(job.runDir, "sbatch.sh");
      await writeFile(
        batch,
        [
          "#!/bin/sh",
          "# Written by Lockstep: the head job runs Nextflow inside its sandbox, with exactly this environment.",
          `exec /usr/bin/env -i ${Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)).join(" ")} ${[opts.sandbox.bwrap, ...bwrap].map(shellQuote).join(" ")}`,
          "",
        ].join("\n"),
        { mode: 0o755 },
      );
      await chmod(batch, 0o755);
      const args = [
        "--parsable",
        `--job-name=lockstep-${job.runId}`,
        `--chdir=${job.runDir}`,
        `--output=${join(job.runDir, "slurm-%j.out")}`,
        "--export=PATH",
        ...(job.identity ? [`--uid=${job.identity.uid}`, `--gid=${job.identity.gid}`] : []),
        ...(config.partition ? [`--partition=${config.partition}`] : []),
        ...config.sbatchOptions,
        batch,
      ];
      const { stdout } = await run("sbatch", args, { env: clientEnv, timeout: 30_000 });
      const id = stdout.trim().split(";")[0] ?? "";
      if (!/^\d+$/.test(id)) throw new Error(`sbatch answered ${JSON.stringify(stdout.trim().slice(0, 200))}`);
      return { ref: id };
    },

    async status(ref, runDir): Promise<THeadState> {
      const { stdout } = await run("squeue", ["-h", "-j", ref, "-o", "%T"], { env: clientEnv, timeout: 30_000 }).catch(() => ({ stdout: "" }));
      const state = stdout.trim();
      if (ACTIVE.has(state)) return { state: "running" };
      const exitCode = await readExitCode(runDir);
      if (exitCode !== null) return { state: "finished", exitCode };
      const acct = await run("sacct", ["-n", "-X", "-P", "-j", ref, "-o", "State,ExitCode"], { env: clientEnv, timeout: 30_000 }).catch(() => ({ stdout: "" }));
      const [accState, accExit] = acct.stdout.trim().split("\n")[0]?.split("|") ?? [];
      if (accState && ACTIVE.has(accState.split(" ")[0]!)) return { state: "running" };
      return { state: "vanished", detail: `Slurm job ${ref} ${accState ? `ended ${accState} (${accExit})` : "is unknown to squeue and sacct"} without an exit code` };
    },

    async cancel(ref) {
      await run("scancel", [ref], { env: clientEnv, timeout: 30_000 }).catch(() => undefined);
    },
  };
}
