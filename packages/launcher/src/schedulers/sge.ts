import { SCHEDULER_OPTION_RULES } from "@lockstep/validators";
import { checkHeadOptions, checkJobId, checkJobName, checkSpec, firstLine, SchedulerOutputError } from "./common";
import type { TCommandResult, TSchedulerHeadSpec, TScheduler, TSchedulerJobState } from "./types";

/**
 * Grid Engine (Sun/Oracle Grid Engine, Son of Grid Engine, Univa/Altair Grid Engine): qsub -terse,
 * qstat, qacct, qdel, qconf -sql (man pages qsub(1), qstat(1), qacct(1), qdel(1), qconf(1),
 * accounting(5)). No Grid Engine runs here: tested against recorded outputs (fixtures/sge).
 */

export const SGE_JOB_ID = /^\d{1,12}$/;

/**
 * qstat's state column (qstat(1), "state"): letters combined, e.g. "hqw", "Rr", "dr", "Eqw".
 * E (error) first: a job in error state never starts by itself.
 */
function stateOf(jobId: string, state: string): TSchedulerJobState {
  if (!/^[A-Za-z]{1,6}$/.test(state))
    throw new SchedulerOutputError(
      `qstat gave Grid Engine job ${jobId} the state ${JSON.stringify(state.slice(0, 20))}, which Lockstep does not know`,
    );
  // An error state (Eqw, E): the job stays queued forever; it has ended as far as a run goes, without a code.
  if (state.includes("E")) return { state: "finished", exitCode: null };
  // Running, restarted (R), transferring, suspended, or being deleted while running.
  if (/[rtRsST]/.test(state)) return { state: "running" };
  // Queued, held or waiting (qw, hqw, w, h, P, N).
  if (/[qwhPN]/.test(state)) return { state: "queued" };
  // A lone deletion mark (d on a pending job): it will not start.
  if (state === "d") return { state: "finished", exitCode: null };
  throw new SchedulerOutputError(
    `qstat gave Grid Engine job ${jobId} the state ${JSON.stringify(state)}, which Lockstep does not know`,
  );
}

/** The `#$` lines, unchecked (`directives` checks first). */
export function sgeDirectiveLines(spec: TSchedulerHeadSpec): string[] {
  return [
    `#$ -N ${spec.jobName}`,
    `#$ -wd ${spec.workDir}`,
    `#$ -o ${spec.outputPath}`,
    "#$ -j y",
    // A queue's shell_start_mode may otherwise run the script with csh.
    "#$ -S /bin/sh",
    ...(spec.queue ? [`#$ -q ${spec.queue}`] : []),
    ...spec.options.map((o) => `#$ ${o}`),
  ];
}

/** qacct's last record of the job ("key value" lines after a row of '='): a job number can be reused. */
function qacctRecord(stdout: string): Map<string, string> | null {
  let current: Map<string, string> | null = null;
  let last: Map<string, string> | null = null;
  for (const line of stdout.split("\n")) {
    if (/^=+\s*$/.test(line)) {
      current = new Map();
      last = current;
      continue;
    }
    const kv = /^([a-z_]+)\s+(.*?)\s*$/.exec(line);
    if (kv) {
      if (!current) {
        current = new Map();
        last = current;
      }
      current.set(kv[1]!, kv[2]!);
    }
  }
  return last;
}

export const sgeScheduler: TScheduler = {
  kind: "sge",
  headOptionAllowlist: SCHEDULER_OPTION_RULES.sge,

  checkOptions(options) {
    checkHeadOptions("sge", options);
  },

  directives(spec) {
    checkSpec("sge", spec);
    return sgeDirectiveLines(spec);
  },

  submit(spec) {
    checkSpec("sge", spec);
    // -terse on the command line: some Grid Engines honour it only there.
    return { argv: ["qsub", "-terse", spec.scriptPath] };
  },

  parseSubmit(stdout) {
    for (const line of stdout
      .split("\n")
      .map((l) => l.trim())
      .reverse()) {
      // -terse: "<id>" (an array job: "<id>.<range>"); without it: 'Your job <id> ("name") has been submitted'.
      const m =
        /^(\d{1,12})(?:\.\S+)?$/.exec(line) ?? /^Your job(?:-array)? (\d{1,12})\b.* has been submitted$/.exec(line);
      if (m) return m[1]!;
    }
    throw new SchedulerOutputError(`qsub answered ${JSON.stringify(firstLine(stdout))}, not a job id`);
  },

  findByName(jobName) {
    checkJobName(jobName);
    // qstat -j takes job names as well as ids (qstat(1), -j job_list).
    return { argv: ["qstat", "-j", jobName] };
  },

  parseFindByName(stdout) {
    const ids = [...stdout.matchAll(/^job_number:\s+(\d{1,12})\s*$/gm)].map((m) => Number(m[1]));
    return ids.length > 0 ? String(Math.max(...ids)) : null;
  },

  query(jobId) {
    checkJobId("sge", jobId, SGE_JOB_ID);
    // qstat lists the user's pending and running jobs; a finished job is no longer there (then qacct).
    return { argv: ["qstat"] };
  },

  parseQuery({ stdout, stderr, code }: TCommandResult, jobId?: string) {
    if (jobId === undefined)
      throw new Error("Grid Engine's qstat lists every job of the user: parseQuery needs the job id asked about");
    if (code !== 0)
      throw new SchedulerOutputError(
        `qstat failed (exit ${code}): ${firstLine(stderr) || firstLine(stdout) || "no reason given"}`,
      );
    // Rows after the header's rule: job-ID prior name user state … (names hold no spaces: qsub -N refuses them).
    for (const line of stdout.split("\n")) {
      const cols = line.trim().split(/\s+/);
      if (cols[0] === jobId && cols.length >= 5) return stateOf(jobId, cols[4]!);
    }
    return { state: "unknown" };
  },

  cancel(jobId) {
    checkJobId("sge", jobId, SGE_JOB_ID);
    return { argv: ["qdel", jobId] };
  },

  history(jobId) {
    checkJobId("sge", jobId, SGE_JOB_ID);
    return { argv: ["qacct", "-j", jobId] };
  },

  parseHistory({ stdout, stderr, code }) {
    if (/error: job id \S+ not found/.test(stderr) || /error: job id \S+ not found/.test(stdout))
      return { state: "unknown" };
    if (code !== 0)
      throw new SchedulerOutputError(
        `qacct failed (exit ${code}): ${firstLine(stderr) || firstLine(stdout) || "no reason given"}`,
      );
    const record = qacctRecord(stdout);
    if (!record) return { state: "unknown" };
    const exit = record.get("exit_status");
    const failed = (record.get("failed") ?? "0").split(/\s/)[0];
    const exitCode = exit !== undefined && /^\d{1,3}$/.test(exit) ? Number(exit) : null;
    // failed ≠ 0: Grid Engine ended or never started the job (accounting(5)); its exit_status counts only when not 0.
    if (failed !== "0") return { state: "finished", exitCode: exitCode === 0 ? null : exitCode };
    return { state: "finished", exitCode };
  },

  listQueues() {
    return { argv: ["qconf", "-sql"] };
  },

  parseQueues(stdout) {
    return stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => /^[A-Za-z0-9_.-]+$/.test(l));
  },
};
