import { SCHEDULER_OPTION_RULES } from "@lockstep/validators";
import {
  checkHeadOptions,
  checkJobId,
  checkJobName,
  checkSpec,
  firstLine,
  SchedulerOutputError,
  waitStatusToExitCode,
} from "./common";
import type { TCommand, TCommandResult, TSchedulerHeadSpec, TScheduler, TSchedulerJobState } from "./types";

/**
 * Slurm's commands and what they print, in one place: the SSH executor (over the cluster's login
 * node) and the host Slurm executor (the worker as submit host) both build their argv and read
 * their answers here. Checked against a real Slurm 22.05 (schedulers/slurm.integration.test.ts)
 * and the sbatch, squeue, sacct, scancel and sinfo man pages (https://slurm.schedmd.com/).
 */

/** A job id as `sbatch --parsable` prints it (a federation's `;cluster` suffix dropped). */
export const SLURM_JOB_ID = /^\d{1,12}$/;

/** Pending: not started yet. https://slurm.schedmd.com/squeue.html#SECTION_JOB-STATE-CODES */
const QUEUED = new Set(["PENDING", "REQUEUED", "REQUEUE_HOLD", "REQUEUE_FED", "RESV_DEL_HOLD"]);
/** Started (suspended or stopped jobs still hold their allocation and come back). */
const RUNNING = new Set([
  "RUNNING",
  "CONFIGURING",
  "COMPLETING",
  "SIGNALING",
  "STAGE_OUT",
  "RESIZING",
  "SUSPENDED",
  "STOPPED",
]);
/** Ended. COMPLETED and FAILED carry the script's own exit code; the rest ended it from outside. */
const ENDED = new Set([
  "COMPLETED",
  "FAILED",
  "CANCELLED",
  "TIMEOUT",
  "NODE_FAIL",
  "PREEMPTED",
  "OUT_OF_MEMORY",
  "BOOT_FAIL",
  "DEADLINE",
  "SPECIAL_EXIT",
  "REVOKED",
]);

/** What squeue and scancel say of a job id the controller does not (or no longer) know. */
export const SLURM_UNKNOWN_JOB = /invalid job id specified|already completing or completed|job has already finished/i;
/** What sacct says on a cluster without accounting. */
const NO_ACCOUNTING = /accounting storage is disabled|slurmdbd|no accounting/i;

/** squeue's fields, each ended by '|': squeue pads nothing when a suffix is given. */
const QUERY_FORMAT = "JobID:|,State:|,exit_code:|";

/**
 * The exit code Slurm recorded: `a:b` (exit code a, signal b: sacct, newer squeue) or the raw wait
 * status (squeue 22.05's exit_code). Jobs ended from outside (cancelled, timed out, node failure)
 * report the script's code only when it is not 0: a 0 there is not a success.
 */
function exitCodeOf(state: string, raw: string | undefined): number | null {
  const text = (raw ?? "").trim();
  let code: number | null = null;
  const pair = /^(\d+):(\d+)$/.exec(text);
  if (pair) code = Number(pair[2]) !== 0 ? 128 + Number(pair[2]) : Number(pair[1]);
  else if (/^\d+$/.test(text)) code = waitStatusToExitCode(Number(text));
  if (code === null) return null;
  if (state === "COMPLETED") return code;
  return code === 0 ? null : code;
}

function stateOf(jobId: string, state: string, exitCode: string | undefined, from: string): TSchedulerJobState {
  const base = state.split(/[\s+]/)[0]!; // sacct writes "CANCELLED by 1000"; squeue may add a '+'.
  if (QUEUED.has(base)) return { state: "queued" };
  if (RUNNING.has(base)) return { state: "running" };
  if (ENDED.has(base)) return { state: "finished", exitCode: exitCodeOf(base, exitCode) };
  throw new SchedulerOutputError(
    `${from} gave Slurm job ${jobId} the state ${JSON.stringify(state.slice(0, 40))}, which Lockstep does not know`,
  );
}

/** sinfo's partitions with their state, the default marked (`debug*`): for the host executor's check. */
export function parseSinfoPartitions(stdout: string): { name: string; isDefault: boolean; avail: string }[] {
  const seen = new Map<string, { name: string; isDefault: boolean; avail: string }>();
  for (const line of stdout.split("\n")) {
    const [raw = "", avail = ""] = line.trim().split(/\s+/);
    if (!raw) continue;
    const name = raw.replace(/\*$/, "");
    if (!seen.has(name)) seen.set(name, { name, isDefault: raw.endsWith("*"), avail });
  }
  return [...seen.values()];
}

export function sinfoPartitions(): TCommand {
  return { argv: ["sinfo", "-h", "-o", "%P %a"] };
}

/**
 * squeue's jobs of that name. `--me`: only this account's jobs, so another user's job of the same
 * name is never taken for ours (over SSH, as the workspace's cluster account). The host executor
 * submits as the run user (`--uid`) and so asks for any user's (`anyUser`). `-t all`: also a job
 * that already ended but the controller still remembers.
 */
export function slurmFindByName(jobName: string, { anyUser = false }: { anyUser?: boolean } = {}): TCommand {
  checkJobName(jobName);
  return { argv: ["squeue", "-h", ...(anyUser ? [] : ["--me"]), "-t", "all", "--name", jobName, "-o", "%i"] };
}

/**
 * The `#SBATCH` lines, unchecked: `directives` checks the spec first. Exported for the tests that
 * show what an unchecked option would have written (a newline in a value starts a directive).
 */
export function slurmDirectiveLines(spec: TSchedulerHeadSpec): string[] {
  return [
    `#SBATCH --job-name=${spec.jobName}`,
    `#SBATCH --chdir=${spec.workDir}`,
    `#SBATCH --output=${spec.outputPath}`,
    ...(spec.queue ? [`#SBATCH --partition=${spec.queue}`] : []),
    ...spec.options.map((o) => `#SBATCH ${o}`),
  ];
}

export const slurmScheduler: TScheduler = {
  kind: "slurm",
  headOptionAllowlist: SCHEDULER_OPTION_RULES.slurm,

  checkOptions(options) {
    checkHeadOptions("slurm", options);
  },

  directives(spec: TSchedulerHeadSpec) {
    checkSpec("slurm", spec);
    return slurmDirectiveLines(spec);
  },

  submit(spec) {
    checkSpec("slurm", spec);
    return { argv: ["sbatch", "--parsable", spec.scriptPath] };
  },

  parseSubmit(stdout) {
    // --parsable: "<id>" or "<id>;<cluster>" on the last line (warnings go to stderr).
    const last = stdout.trim().split("\n").pop()?.trim() ?? "";
    const id = last.split(";")[0] ?? "";
    if (!SLURM_JOB_ID.test(id))
      throw new SchedulerOutputError(`sbatch answered ${JSON.stringify(firstLine(stdout))}, not a job id`);
    return id;
  },

  findByName(jobName) {
    return slurmFindByName(jobName);
  },

  parseFindByName(stdout) {
    const ids = stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((id) => SLURM_JOB_ID.test(id))
      .map(Number);
    // A name submitted twice: the later job is the one whose answer was lost.
    return ids.length > 0 ? String(Math.max(...ids)) : null;
  },

  query(jobId) {
    checkJobId("slurm", jobId, SLURM_JOB_ID);
    return { argv: ["squeue", "-h", "-t", "all", "-j", jobId, "-O", QUERY_FORMAT] };
  },

  parseQuery({ stdout, stderr, code }: TCommandResult, jobId?: string) {
    if (code !== 0) {
      if (SLURM_UNKNOWN_JOB.test(stderr) || SLURM_UNKNOWN_JOB.test(stdout)) return { state: "unknown" };
      throw new SchedulerOutputError(
        `squeue failed (exit ${code}): ${firstLine(stderr) || firstLine(stdout) || "no reason given"}`,
      );
    }
    for (const line of stdout.split("\n")) {
      const [id, state, exitCode] = line.trim().split("|");
      if (!id || !state) continue;
      if (SLURM_JOB_ID.test(id) && (jobId === undefined || id === jobId)) return stateOf(id, state, exitCode, "squeue");
    }
    // Newer Slurm answers a purged job with nothing at all.
    return { state: "unknown" };
  },

  cancel(jobId) {
    checkJobId("slurm", jobId, SLURM_JOB_ID);
    return { argv: ["scancel", jobId] };
  },

  history(jobId) {
    checkJobId("slurm", jobId, SLURM_JOB_ID);
    // -X: the allocation only (not its steps); -P: '|'-separated, nothing padded or cut.
    return { argv: ["sacct", "-n", "-X", "-P", "-j", jobId, "-o", "JobID,State,ExitCode"] };
  },

  parseHistory({ stdout, stderr, code }) {
    if (code !== 0) {
      if (NO_ACCOUNTING.test(stderr) || NO_ACCOUNTING.test(stdout)) return { state: "unknown" };
      throw new SchedulerOutputError(
        `sacct failed (exit ${code}): ${firstLine(stderr) || firstLine(stdout) || "no reason given"}`,
      );
    }
    for (const line of stdout.split("\n")) {
      const [id, state, exitCode] = line.trim().split("|");
      if (id && state && SLURM_JOB_ID.test(id)) return stateOf(id, state, exitCode, "sacct");
    }
    return { state: "unknown" };
  },

  listQueues() {
    return { argv: ["sinfo", "-h", "-o", "%P"] };
  },

  parseQueues(stdout) {
    return parseSinfoPartitions(stdout).map((p) => p.name);
  },
};
