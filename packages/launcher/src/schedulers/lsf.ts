import { SCHEDULER_OPTION_RULES, splitSchedulerOption } from "@lockstep/validators";
import { checkHeadOptions, checkJobId, checkJobName, checkSpec, firstLine, SchedulerOutputError } from "./common";
import type { TCommandResult, TSchedulerHeadSpec, TScheduler, TSchedulerJobState } from "./types";

/**
 * IBM Spectrum LSF: bsub, bjobs, bkill, bqueues (IBM Spectrum LSF 10.1 command reference,
 * https://www.ibm.com/docs/en/spectrum-lsf/10.1.0?topic=reference-command). No LSF runs here: the
 * argv and the parsers are tested against recorded outputs (fixtures/lsf), see docs/hpc-schedulers.md.
 *
 * bsub reads `#BSUB` lines of a script given as its command only where the cluster sets
 * LSB_BSUB_PARSE_SCRIPT=Y (bsub "job_script" reference); otherwise only when the script comes on
 * stdin. So the submit command carries every option on its argv, and the `#BSUB` directives repeat
 * them for a cluster that parses scripts (the command line wins over the script).
 */

export const LSF_JOB_ID = /^\d{1,12}$/;

/** bjobs STAT values: https://www.ibm.com/docs/en/spectrum-lsf/10.1.0?topic=bjobs-description */
const QUEUED = new Set(["PEND", "PSUSP", "WAIT"]);
/** Started: suspended jobs keep their host; UNKWN is mbatchd having lost sbatchd, the job may still run. */
const RUNNING = new Set(["RUN", "USUSP", "SSUSP", "PROV", "UNKWN"]);

/** bsub and bjobs write "Job <123> is not found" for a job mbatchd no longer (or never) knew. */
const NOT_FOUND = /Job <[^>]*> is not found/;

/** Options as argv: `-W 60` is two arguments, the flag and its value. */
function optionArgv(options: readonly string[]): string[] {
  return options.flatMap((o) => {
    const split = splitSchedulerOption("lsf", o);
    if (!split) throw new Error(`LSF head option ${JSON.stringify(o.slice(0, 20))} is not of the form -X value`);
    return [split.flag, split.value];
  });
}

/** A `#BSUB` value with brackets goes in double quotes, as the bsub -R examples write it (values never hold a quote). */
function directiveValue(value: string): string {
  return /[[\]|&!<> ]/.test(value) ? `"${value}"` : value;
}

/** The `#BSUB` lines, unchecked (`directives` checks first). */
export function lsfDirectiveLines(spec: TSchedulerHeadSpec): string[] {
  return [
    `#BSUB -J ${spec.jobName}`,
    `#BSUB -cwd ${spec.workDir}`,
    `#BSUB -oo ${spec.outputPath}`,
    ...(spec.queue ? [`#BSUB -q ${spec.queue}`] : []),
    ...spec.options.map((o) => {
      const split = splitSchedulerOption("lsf", o);
      return split ? `#BSUB ${split.flag} ${directiveValue(split.value)}` : `#BSUB ${o}`;
    }),
  ];
}

/** bjobs -w rows by job id, the columns found from the header (bjobs may print "LSF is processing your request" first). */
function bjobsRows(stdout: string): { jobId: string; stat: string }[] {
  const rows: { jobId: string; stat: string }[] = [];
  let idCol = -1;
  let statCol = -1;
  for (const line of stdout.split("\n")) {
    const cols = line.trim().split(/\s+/);
    if (idCol === -1) {
      if (cols.includes("JOBID") && cols.includes("STAT")) {
        idCol = cols.indexOf("JOBID");
        statCol = cols.indexOf("STAT");
      }
      continue;
    }
    const jobId = cols[idCol];
    const stat = cols[statCol];
    if (jobId && stat && LSF_JOB_ID.test(jobId)) rows.push({ jobId, stat });
  }
  return rows;
}

function stateOf(jobId: string, stat: string): TSchedulerJobState {
  if (QUEUED.has(stat)) return { state: "queued" };
  if (RUNNING.has(stat)) return { state: "running" };
  // DONE: "the job terminated with status of 0". EXIT: non-zero, killed or aborted; bjobs -w does not say the code.
  if (stat === "DONE") return { state: "finished", exitCode: 0 };
  if (stat === "EXIT" || stat === "ZOMBI") return { state: "finished", exitCode: null };
  throw new SchedulerOutputError(
    `bjobs gave LSF job ${jobId} the state ${JSON.stringify(stat.slice(0, 20))}, which Lockstep does not know`,
  );
}

export const lsfScheduler: TScheduler = {
  kind: "lsf",
  headOptionAllowlist: SCHEDULER_OPTION_RULES.lsf,

  checkOptions(options) {
    checkHeadOptions("lsf", options);
  },

  directives(spec) {
    checkSpec("lsf", spec);
    return lsfDirectiveLines(spec);
  },

  submit(spec) {
    checkSpec("lsf", spec);
    return {
      argv: [
        "bsub",
        "-J",
        spec.jobName,
        "-cwd",
        spec.workDir,
        "-oo",
        spec.outputPath,
        ...(spec.queue ? ["-q", spec.queue] : []),
        ...optionArgv(spec.options),
        spec.scriptPath,
      ],
    };
  },

  parseSubmit(stdout) {
    const m = /Job <(\d{1,12})> is submitted/.exec(stdout);
    if (!m) throw new SchedulerOutputError(`bsub answered ${JSON.stringify(firstLine(stdout))}, not a job id`);
    return m[1]!;
  },

  findByName(jobName) {
    checkJobName(jobName);
    // -a: also jobs that finished recently (CLEAN_PERIOD); -w: ids and names not cut.
    return { argv: ["bjobs", "-a", "-w", "-J", jobName] };
  },

  parseFindByName(stdout) {
    const ids = bjobsRows(stdout).map((r) => Number(r.jobId));
    return ids.length > 0 ? String(Math.max(...ids)) : null;
  },

  query(jobId) {
    checkJobId("lsf", jobId, LSF_JOB_ID);
    return { argv: ["bjobs", "-a", "-w", jobId] };
  },

  parseQuery({ stdout, stderr, code }: TCommandResult, jobId?: string) {
    const row = bjobsRows(stdout).find((r) => jobId === undefined || r.jobId === jobId);
    if (row) return stateOf(row.jobId, row.stat);
    if (NOT_FOUND.test(stderr) || NOT_FOUND.test(stdout)) return { state: "unknown" };
    if (code !== 0)
      throw new SchedulerOutputError(
        `bjobs failed (exit ${code}): ${firstLine(stderr) || firstLine(stdout) || "no reason given"}`,
      );
    return { state: "unknown" };
  },

  cancel(jobId) {
    checkJobId("lsf", jobId, LSF_JOB_ID);
    return { argv: ["bkill", jobId] };
  },

  listQueues() {
    return { argv: ["bqueues", "-w"] };
  },

  parseQueues(stdout) {
    const lines = stdout.split("\n").map((l) => l.trim());
    const header = lines.findIndex((l) => l.startsWith("QUEUE_NAME"));
    if (header === -1)
      throw new SchedulerOutputError(`bqueues answered ${JSON.stringify(firstLine(stdout))}, not a queue table`);
    return lines
      .slice(header + 1)
      .map((l) => l.split(/\s+/)[0] ?? "")
      .filter(Boolean);
  },
};
