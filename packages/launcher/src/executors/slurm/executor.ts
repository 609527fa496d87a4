import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TComputeEnvConfigOf } from "@lockstep/validators";
import { ExecutorError, type TExecutor, type THeadState } from "../../executor";
import { readExitCode, shellQuote } from "../../head-script";
import { writeRunFile } from "../../safe-file";
import { sandboxArgs, sandboxBaseEnv } from "../../sandbox";
import {
  parseSinfoPartitions,
  SLURM_JOB_ID,
  SLURM_UNKNOWN_JOB,
  slurmFindByName,
  slurmScheduler,
  sinfoPartitions,
} from "../../schedulers/slurm";
import type { TCommand, TCommandResult, TSchedulerJobState } from "../../schedulers/types";
import {
  buildHostHead,
  checkHostSandbox,
  collectHostOutput,
  hostError,
  prepareHostRun,
  readHeadRecord,
  removeHeadRecord,
  writeHeadRecord,
  watchHostExit,
  type THostOptions,
} from "../host/host";

const run = promisify(execFile);

/** A host Slurm environment's stored settings (its partition and extra sbatch options). */
export type TSlurmConfig = TComputeEnvConfigOf<"slurm">;

/** What Slurm's clients say when the controller is away or busy: worth another try later. */
const TRANSIENT =
  /temporarily|timed? ?out|try again|unable to contact|connection refused|connect failure|socket|communication|busy/i;

type TExecFailure = {
  code?: number | string;
  killed?: boolean;
  signal?: string | null;
  stderr?: string;
  stdout?: string;
  message?: string;
};

function firstLine(text: string | undefined): string {
  return (text ?? "").trim().split("\n")[0]?.slice(0, 300) ?? "";
}

/** A Slurm client that failed: not installed (permanent), killed by the timeout or the controller away (retryable), or refused (permanent). */
function slurmError(command: string, error: unknown): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const e = (error ?? {}) as TExecFailure;
  if (e.code === "ENOENT")
    return new ExecutorError(
      `${command} is not installed on this machine (host Slurm needs the Slurm client tools on the worker's PATH)`,
      false,
    );
  const said = firstLine(e.stderr) || firstLine(e.stdout) || firstLine(e.message);
  if (e.killed || e.signal)
    return new ExecutorError(`${command} did not answer in time${said ? `: ${said}` : ""}`, true);
  return new ExecutorError(`${command} failed: ${said || "no reason given"}`, TRANSIENT.test(said));
}

/**
 * The Nextflow head job submitted with sbatch, on the worker's own machine as submit host (host
 * Slurm: single-tenant, instance admins only — docs/security.md). The batch script starts the same
 * bubblewrap sandbox a local head gets, with an environment it sets itself (`env -i`): sbatch is
 * called with `--export=PATH`, so nothing of the worker's environment reaches the job. Run as
 * root, the worker submits the job as the unprivileged run user (`--uid`/`--gid`).
 */
export function slurmExecutor(config: TSlurmConfig, host: THostOptions): TExecutor {
  // sbatch/squeue/scancel need only PATH and where the cluster's config is.
  const clientEnv = {
    PATH: host.baseEnv.PATH ?? "/usr/bin:/bin",
    ...(host.baseEnv.SLURM_CONF ? { SLURM_CONF: host.baseEnv.SLURM_CONF } : {}),
  };
  const slurm = (command: string, args: string[]) => run(command, args, { env: clientEnv, timeout: 30_000 });
  /** A command of the Slurm module, run: its answer whatever the exit code; rejects only when it did not run or answer. */
  const answer = ({ argv }: TCommand): Promise<TCommandResult> =>
    slurm(argv[0]!, argv.slice(1)).then(
      ({ stdout, stderr }) => ({ stdout, stderr, code: 0 }),
      (error: unknown) => {
        const e = error as TExecFailure;
        if (typeof e.code !== "number") throw slurmError(argv[0]!, error);
        return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: e.code };
      },
    );
  /** The module's reading of an answer; a reading it refuses is the client's own trouble, retried when it sounds passing. */
  const read = <T>(parse: () => T): T => {
    try {
      return parse();
    } catch (error) {
      const said = error instanceof Error ? error.message : String(error);
      throw new ExecutorError(said, TRANSIENT.test(said));
    }
  };
  const jobName = (runId: string) => `lockstep-${runId}`;

  /** A job already submitted for the run whose sbatch answer was lost, found under its name (any user's: the job runs as the run user). */
  async function queuedJob(runId: string): Promise<string | null> {
    const { argv } = slurmFindByName(jobName(runId), { anyUser: true });
    const { stdout } = await slurm(argv[0]!, argv.slice(1)).catch((error: unknown) => {
      throw slurmError("squeue", error);
    });
    return slurmScheduler.parseFindByName(stdout);
  }

  return {
    kind: "slurm",

    prepare: (target) => prepareHostRun("slurm", host, target),

    async start(launch) {
      try {
        const recorded = (await readHeadRecord(launch, SLURM_JOB_ID)) ?? (await queuedJob(launch.runId));
        if (recorded) {
          await writeHeadRecord(launch, recorded);
          return { ref: recorded };
        }
        const head = await buildHostHead("slurm", host, launch);
        const env = { ...sandboxBaseEnv(launch.runDir), ...head.env };
        const bwrap = sandboxArgs(
          { ...host.sandbox, readOnly: [...host.sandbox.readOnly, ...head.readOnly] },
          launch.runDir,
          ["/bin/sh", head.script],
        );
        // Never through a link a pipeline planted: a fresh file of the worker's own.
        const batch = await writeRunFile(
          launch.runDir,
          "sbatch.sh",
          [
            "#!/bin/sh",
            "# Written by Lockstep: the head job runs Nextflow inside its sandbox, with exactly this environment.",
            `exec /usr/bin/env -i ${Object.entries(env)
              .map(([k, v]) => shellQuote(`${k}=${v}`))
              .join(" ")} ${[host.sandbox.bwrap, ...bwrap].map(shellQuote).join(" ")}`,
            "",
          ].join("\n"),
          0o755,
        );
        const args = [
          "--parsable",
          `--job-name=${jobName(launch.runId)}`,
          `--chdir=${launch.runDir}`,
          `--output=${join(launch.runDir, "slurm-%j.out")}`,
          "--export=PATH",
          ...(head.owner ? [`--uid=${head.owner.uid}`, `--gid=${head.owner.gid}`] : []),
          ...(config.partition ? [`--partition=${config.partition}`] : []),
          ...config.sbatchOptions,
          batch,
        ];
        const { stdout } = await slurm("sbatch", args).catch((error: unknown) => {
          throw slurmError("sbatch", error);
        });
        const id = read(() => slurmScheduler.parseSubmit(stdout));
        await writeHeadRecord(launch, id);
        return { ref: id };
      } catch (error) {
        throw hostError(error);
      }
    },

    async status({ ref, runDir }): Promise<THeadState> {
      if (!SLURM_JOB_ID.test(ref))
        return { state: "vanished", detail: `${JSON.stringify(ref.slice(0, 40))} is not a Slurm job id` };
      // Slurm cannot say whether the job still runs (the read throws): ask again later rather than call it gone.
      const asked = await answer(slurmScheduler.query(ref));
      const now = read(() => slurmScheduler.parseQuery(asked, ref));
      if (now.state === "queued" || now.state === "running") return { state: "running" };
      // The exit code file lives where the pipeline can write: it only counts once Slurm no longer runs the job.
      const exitCode = await readExitCode(runDir);
      if (exitCode !== null) return { state: "finished", exitCode };
      // sacct only adds detail: its own trouble (or no accounting) leaves the job unknown.
      const history = await answer(slurmScheduler.history!(ref))
        .then((r) => slurmScheduler.parseHistory!(r))
        .catch((): TSchedulerJobState => ({ state: "unknown" }));
      if (history.state === "queued" || history.state === "running") return { state: "running" };
      const ended = now.state === "finished" ? now : history;
      const detail =
        ended.state === "finished"
          ? `ended ${ended.exitCode === null ? "without an exit code of its own" : `with exit code ${ended.exitCode}`} (Slurm's record)`
          : "is unknown to squeue and sacct";
      return { state: "vanished", detail: `Slurm job ${ref} ${detail}, and the head wrote no exit code` };
    },

    async cancel({ ref }) {
      if (!SLURM_JOB_ID.test(ref)) return;
      const { argv } = slurmScheduler.cancel(ref);
      await slurm(argv[0]!, argv.slice(1)).catch((error: unknown) => {
        const e = error as TExecFailure;
        if (SLURM_UNKNOWN_JOB.test(`${e.stderr ?? ""}`)) return; // ended already: nothing to stop
        throw slurmError("scancel", error);
      });
    },

    async release(head) {
      await removeHeadRecord(head).catch((error: unknown) => {
        throw hostError(error);
      });
    },

    async check() {
      try {
        await checkHostSandbox("slurm", host);
        const { argv } = sinfoPartitions();
        const { stdout } = await slurm(argv[0]!, argv.slice(1)).catch((error: unknown) => {
          throw slurmError("sinfo", error);
        });
        const partitions = parseSinfoPartitions(stdout);
        const partition = config.partition
          ? partitions.find((p) => p.name === config.partition)
          : partitions.find((p) => p.isDefault);
        if (!partition) {
          throw new ExecutorError(
            config.partition
              ? `Slurm has no partition ${config.partition} (it has ${partitions.map((p) => p.name).join(", ") || "none"})`
              : "Slurm has no default partition: name one in the compute environment",
            false,
          );
        }
        if (partition.avail !== "up")
          throw new ExecutorError(
            `Slurm partition ${partition.name} is ${partition.avail || "in an unknown state"}, not up`,
            true,
          );
        return { reached: `Slurm partition ${partition.name}` };
      } catch (error) {
        throw hostError(error);
      }
    },

    collect: collectHostOutput,

    watchExit: watchHostExit,

    async close() {},
  };
}
