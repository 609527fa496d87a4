import { SCHEDULER_OPTION_RULES } from "@lockstep/validators";
import { checkHeadOptions, checkJobId, checkJobName, checkSpec, firstLine, SchedulerOutputError } from "./common";
import type { TCommandResult, TSchedulerHeadSpec, TScheduler, TSchedulerJobState } from "./types";

/**
 * Altair PBS Professional: qsub, qstat -x -f, qdel, qselect, qstat -Q (PBS Professional Reference
 * Guide, chapter "Commands"; job states in "Job States"; exit codes in the Administrator's Guide,
 * "Job Exit Status Codes"). No PBS runs here: tested against recorded outputs (fixtures/pbspro).
 *
 * PBS Pro starts a job in the user's home, not the submit directory, and has no directive for
 * the directory: the head script changes to its launch directory itself.
 */

/** `<sequence>.<server>` as qsub prints it; the server part may be absent. */
export const PBS_JOB_ID = /^\d{1,12}(?:\.[A-Za-z0-9][A-Za-z0-9_.-]{0,254})?$/;

/** Queued, held, waiting for its start time, in transit or moved. */
const QUEUED = new Set(["Q", "H", "W", "T", "M"]);
/** Running, exiting, suspended (S: by the server, U: workstation busy), or an array begun. */
const RUNNING = new Set(["R", "E", "S", "U", "B"]);
/** Finished (F), or a finished subjob (X). */
const ENDED = new Set(["F", "X"]);

/** qstat's and qdel's words for a job id the server does not know (exit 153): never known, or past job_history_duration. */
const UNKNOWN_JOB = /Unknown Job Id|Job has finished, use -x/;

/** The `#PBS` lines, unchecked (`directives` checks first). */
export function pbsproDirectiveLines(spec: TSchedulerHeadSpec): string[] {
  return [
    `#PBS -N ${spec.jobName}`,
    `#PBS -o ${spec.outputPath}`,
    // stderr joined into the output file: the head's console is one file.
    "#PBS -j oe",
    ...(spec.queue ? [`#PBS -q ${spec.queue}`] : []),
    ...spec.options.map((o) => `#PBS ${o}`),
  ];
}

/**
 * `qstat -f` records: "Job Id: <id>" then indented "name = value" lines; a long value continues on
 * lines that start with a tab. Only the job's own record is read.
 */
function qstatRecords(stdout: string): Map<string, Map<string, string>> {
  const records = new Map<string, Map<string, string>>();
  let current: Map<string, string> | null = null;
  let last: string | null = null;
  for (const line of stdout.split("\n")) {
    const head = /^Job Id:\s*(\S+)\s*$/.exec(line);
    if (head) {
      current = new Map();
      records.set(head[1]!, current);
      last = null;
      continue;
    }
    if (!current) continue;
    if (line.startsWith("\t") && last) {
      current.set(last, `${current.get(last) ?? ""}${line.slice(1)}`);
      continue;
    }
    const attr = /^\s+([A-Za-z_][A-Za-z0-9_.]*) = (.*)$/.exec(line);
    if (attr) {
      current.set(attr[1]!, attr[2]!);
      last = attr[1]!;
    }
  }
  return records;
}

/**
 * PBS Pro's Exit_status: 0..255 the script's own code; 256+N killed by signal N (reported as 128+N,
 * as a shell would); negative, PBS could not run the job (no code of the script's own).
 */
function exitCodeOf(raw: string | undefined): number | null {
  if (raw === undefined || !/^-?\d{1,6}$/.test(raw.trim())) return null;
  const status = Number(raw.trim());
  if (status < 0) return null;
  if (status >= 256) return 128 + (status - 256);
  return status;
}

function stateOf(jobId: string, record: Map<string, string>): TSchedulerJobState {
  const state = (record.get("job_state") ?? "").trim();
  if (QUEUED.has(state)) return { state: "queued" };
  if (RUNNING.has(state)) return { state: "running" };
  if (ENDED.has(state)) return { state: "finished", exitCode: exitCodeOf(record.get("Exit_status")) };
  throw new SchedulerOutputError(
    `qstat gave PBS job ${jobId} the state ${JSON.stringify(state.slice(0, 20))}, which Lockstep does not know`,
  );
}

export const pbsproScheduler: TScheduler = {
  kind: "pbspro",
  headOptionAllowlist: SCHEDULER_OPTION_RULES.pbspro,

  checkOptions(options) {
    checkHeadOptions("pbspro", options);
  },

  directives(spec) {
    checkSpec("pbspro", spec);
    return pbsproDirectiveLines(spec);
  },

  submit(spec) {
    checkSpec("pbspro", spec);
    return { argv: ["qsub", spec.scriptPath] };
  },

  parseSubmit(stdout) {
    const last = stdout
      .split("\n")
      .map((l) => l.trim())
      .filter(Boolean)
      .pop();
    if (!last || !PBS_JOB_ID.test(last))
      throw new SchedulerOutputError(`qsub answered ${JSON.stringify(firstLine(stdout))}, not a job id`);
    return last;
  },

  findByName(jobName) {
    checkJobName(jobName);
    // -x: finished jobs too (within the server's job history).
    return { argv: ["qselect", "-x", "-N", jobName] };
  },

  parseFindByName(stdout) {
    const ids = stdout
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => PBS_JOB_ID.test(l));
    if (ids.length === 0) return null;
    return ids.reduce((a, b) => (Number(b.split(".")[0]) > Number(a.split(".")[0]) ? b : a));
  },

  query(jobId) {
    checkJobId("pbspro", jobId, PBS_JOB_ID);
    // -x: a finished job too, with its Exit_status, for as long as the server keeps history.
    return { argv: ["qstat", "-x", "-f", jobId] };
  },

  parseQuery({ stdout, stderr, code }: TCommandResult, jobId?: string) {
    const records = qstatRecords(stdout);
    // "12" asks about "12.server": the sequence number is what both hold.
    const first = [...records.entries()].find(
      ([id]) => jobId === undefined || id === jobId || id.split(".")[0] === jobId.split(".")[0],
    );
    if (first) return stateOf(first[0], first[1]);
    if (UNKNOWN_JOB.test(stderr) || UNKNOWN_JOB.test(stdout)) return { state: "unknown" };
    if (code !== 0)
      throw new SchedulerOutputError(
        `qstat failed (exit ${code}): ${firstLine(stderr) || firstLine(stdout) || "no reason given"}`,
      );
    return { state: "unknown" };
  },

  cancel(jobId) {
    checkJobId("pbspro", jobId, PBS_JOB_ID);
    return { argv: ["qdel", jobId] };
  },

  listQueues() {
    return { argv: ["qstat", "-Q"] };
  },

  parseQueues(stdout) {
    const lines = stdout.split("\n");
    const rule = lines.findIndex((l) => /^-{3,}(\s+-+)*\s*$/.test(l.trim()));
    if (rule === -1)
      throw new SchedulerOutputError(`qstat -Q answered ${JSON.stringify(firstLine(stdout))}, not a queue table`);
    return lines
      .slice(rule + 1)
      .map((l) => l.trim().split(/\s+/)[0] ?? "")
      .filter(Boolean);
  },
};
