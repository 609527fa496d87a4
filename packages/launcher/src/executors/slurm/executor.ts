import { execFile } from "node:child_process";
import { join } from "node:path";
import { promisify } from "node:util";
import { ExecutorError, type TExecutor, type THeadState } from "../../executor";
import { readExitCode, shellQuote } from "../../head-script";
import { writeRunFile } from "../../safe-file";
import { sandboxArgs, sandboxBaseEnv } from "../../sandbox";
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

export type TSlurmConfig = { partition?: string; sbatchOptions: string[] };

const ACTIVE = new Set(["PENDING", "RUNNING", "CONFIGURING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING", "SIGNALING", "STAGE_OUT"]);
const JOB_ID = /^\d{1,12}$/;
/** What Slurm's clients say when the controller is away or busy: worth another try later. */
const TRANSIENT = /temporarily|timed? ?out|try again|unable to contact|connection refused|connect failure|socket|communication|busy/i;
/** What squeue / scancel say about a job they no longer (or never) knew. */
const UNKNOWN_JOB = /invalid job id|already completing or completed|job has already finished/i;

type TExecFailure = { code?: number | string; killed?: boolean; signal?: string | null; stderr?: string; stdout?: string; message?: string };

function firstLine(text: string | undefined): string {
  return (text ?? "").trim().split("\n")[0]?.slice(0, 300) ?? "";
}

/** A Slurm client that failed: not installed (permanent), killed by the timeout or the controller away (retryable), or refused (permanent). */
function slurmError(command: string, error: unknown): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const e = (error ?? {}) as TExecFailure;
  if (e.code === "ENOENT") return new ExecutorError(`${command} is not installed on this machine (host Slurm needs the Slurm client tools on the worker's PATH)`, false);
  const said = firstLine(e.stderr) || firstLine(e.stdout) || firstLine(e.message);
  if (e.killed || e.signal) return new ExecutorError(`${command} did not answer in time${said ? `: ${said}` : ""}`, true);
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
  const clientEnv = { PATH: host.baseEnv.PATH ?? "/usr/bin:/bin", ...(host.baseEnv.SLURM_CONF ? { SLURM_CONF: host.baseEnv.SLURM_CONF } : {}) };
  const slurm = (command: string, args: string[]) => run(command, args, { env: clientEnv, timeout: 30_000 });
  const jobName = (runId: string) => `lockstep-${runId}`;

  /** A job already submitted for the run whose sbatch answer was lost: still queued or running under its name. */
  async function queuedJob(runId: string): Promise<string | null> {
    const { stdout } = await slurm("squeue", ["-h", "--name", jobName(runId), "-o", "%i"]).catch((error: unknown) => {
      throw slurmError("squeue", error);
    });
    const ids = stdout.trim().split(/\s+/).filter((id) => JOB_ID.test(id));
    return ids[0] ?? null;
  }

  return {
    kind: "slurm",

    prepare: (target) => prepareHostRun("slurm", host, target),

    async start(launch) {
      try {
        const recorded = (await readHeadRecord(launch, JOB_ID)) ?? (await queuedJob(launch.runId));
        if (recorded) {
          await writeHeadRecord(launch, recorded);
          return { ref: recorded };
        }
        const head = await buildHostHead("slurm", host, launch);
        const env = { ...sandboxBaseEnv(launch.runDir), ...head.env };
        const bwrap = sandboxArgs({ ...host.sandbox, readOnly: [...host.sandbox.readOnly, ...head.readOnly] }, launch.runDir, ["/bin/sh", head.script]);
        // Never through a link a pipeline planted: a fresh file of the worker's own.
        const batch = await writeRunFile(
          launch.runDir,
          "sbatch.sh",
          [
            "#!/bin/sh",
            "# Written by Lockstep: the head job runs Nextflow inside its sandbox, with exactly this environment.",
            `exec /usr/bin/env -i ${Object.entries(env).map(([k, v]) => shellQuote(`${k}=${v}`)).join(" ")} ${[host.sandbox.bwrap, ...bwrap].map(shellQuote).join(" ")}`,
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
        const id = stdout.trim().split(";")[0] ?? "";
        if (!JOB_ID.test(id)) throw new ExecutorError(`sbatch answered ${JSON.stringify(stdout.trim().slice(0, 200))}`, false);
        await writeHeadRecord(launch, id);
        return { ref: id };
      } catch (error) {
        throw hostError(error);
      }
    },

    async status({ ref, runDir }): Promise<THeadState> {
      if (!JOB_ID.test(ref)) return { state: "vanished", detail: `${JSON.stringify(ref.slice(0, 40))} is not a Slurm job id` };
      const queued = await slurm("squeue", ["-h", "-j", ref, "-o", "%T"]).then(
        ({ stdout }) => ({ stdout, problem: null }),
        (error: unknown) => {
          const e = error as TExecFailure;
          // A job squeue no longer knows has ended (or never existed); anything else is squeue's own trouble.
          return { stdout: "", problem: UNKNOWN_JOB.test(`${e.stderr ?? ""}`) ? null : slurmError("squeue", error) };
        },
      );
      if (ACTIVE.has(queued.stdout.trim())) return { state: "running" };
      // Slurm cannot say whether the job still runs: ask again later rather than call it gone.
      if (queued.problem) throw queued.problem;
      // The exit code file lives where the pipeline can write: it only counts once Slurm no longer runs the job.
      const exitCode = await readExitCode(runDir);
      if (exitCode !== null) return { state: "finished", exitCode };
      const acct = await slurm("sacct", ["-n", "-X", "-P", "-j", ref, "-o", "State,ExitCode"]).catch(() => ({ stdout: "" }));
      const [accState, accExit] = acct.stdout.trim().split("\n")[0]?.split("|") ?? [];
      if (accState && ACTIVE.has(accState.split(" ")[0]!)) return { state: "running" };
      return { state: "vanished", detail: `Slurm job ${ref} ${accState ? `ended ${accState} (${accExit})` : "is unknown to squeue and sacct"} without an exit code` };
    },

    async cancel({ ref }) {
      if (!JOB_ID.test(ref)) return;
      await slurm("scancel", [ref]).catch((error: unknown) => {
        const e = error as TExecFailure;
        if (UNKNOWN_JOB.test(`${e.stderr ?? ""}`)) return; // ended already: nothing to stop
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
        const { stdout } = await slurm("sinfo", ["-h", "-o", "%P %a"]).catch((error: unknown) => {
          throw slurmError("sinfo", error);
        });
        const partitions = stdout
          .trim()
          .split("\n")
          .filter(Boolean)
          .map((line) => {
            const [name = "", avail = ""] = line.trim().split(/\s+/);
            return { name: name.replace(/\*$/, ""), isDefault: name.endsWith("*"), avail };
          });
        const partition = config.partition ? partitions.find((p) => p.name === config.partition) : partitions.find((p) => p.isDefault);
        if (!partition) {
          throw new ExecutorError(
            config.partition ? `Slurm has no partition ${config.partition} (it has ${partitions.map((p) => p.name).join(", ") || "none"})` : "Slurm has no default partition: name one in the compute environment",
            false,
          );
        }
        if (partition.avail !== "up") throw new ExecutorError(`Slurm partition ${partition.name} is ${partition.avail || "in an unknown state"}, not up`, true);
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
