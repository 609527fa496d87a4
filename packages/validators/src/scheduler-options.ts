/**
 * What a workspace may ask of a cluster's batch scheduler for its Nextflow head job (issue #13):
 * the head-job options each scheduler accepts, with a strict check of each value, and the rules
 * for the queue (partition) and job names. The launcher's schedulers (packages/launcher/src/schedulers)
 * write these into the job script's directives (`#SBATCH`, `#BSUB`, `#PBS`, `#$`) and onto the
 * submit command's argv, so a value must not be able to start another option, end the directive
 * line, or mean anything to a shell: every value pattern here is anchored, ASCII and has no
 * whitespace (Grid Engine's `-pe` alone takes exactly one space between its two words).
 *
 * Each option is one string, written as the scheduler's own manual writes it:
 * Slurm `--name=value`; LSF `-X value`; PBS Pro and Grid Engine `-l resource=value` or `-X value`.
 */

export type TSchedulerOptionKind = "slurm" | "lsf" | "pbspro" | "sge";

export type TSchedulerOptionRule = {
  /** `--time` (Slurm), `-W` (LSF), `-l walltime` (PBS Pro, a resource of -l), `-pe` (Grid Engine)… */
  flag: string;
  /** The whole value must match (anchored). */
  value: RegExp;
  /** The rule in words, for the person who wrote the option. */
  description: string;
};

// ── Value patterns shared between schedulers ─────────────────────────────────────────────────

/** An account, project, QOS, reservation, group or service-class name. */
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
const NAME_RULE = "a name of letters, digits, '_', '.' and '-' (not starting with '.' or '-'), at most 64 characters";
const COUNT = /^[1-9]\d{0,3}$/;
const COUNT_RULE = "a whole number from 1 to 9999";
/** HH:MM:SS (PBS Pro, Grid Engine), or plain seconds. */
const CLOCK = /^(?:\d{1,4}:[0-5]\d:[0-5]\d|[1-9]\d{0,7})$/;
const CLOCK_RULE = "a duration as HH:MM:SS or a number of seconds";

// ── Slurm (sbatch) ─────────────────────────────────────────────────────────────────────────────
// https://slurm.schedmd.com/sbatch.html

const SLURM_MEM = /^[1-9]\d{0,7}[KMGT]?$/;
const SLURM_MEM_RULE = "a whole number of megabytes, or with a K, M, G or T suffix";

const SLURM: TSchedulerOptionRule[] = [
  {
    flag: "--time",
    value: /^(?:\d{1,6}|\d{1,6}:[0-5]\d|\d{1,4}:[0-5]\d:[0-5]\d|\d{1,3}-\d{1,2}(?::[0-5]\d){0,2})$/,
    description: "the time limit, as minutes, MM:SS, HH:MM:SS, D-HH, D-HH:MM or D-HH:MM:SS",
  },
  { flag: "--mem", value: SLURM_MEM, description: `memory for the node, ${SLURM_MEM_RULE}` },
  { flag: "--mem-per-cpu", value: SLURM_MEM, description: `memory per CPU, ${SLURM_MEM_RULE}` },
  { flag: "--cpus-per-task", value: COUNT, description: `CPUs, ${COUNT_RULE}` },
  { flag: "--account", value: NAME, description: `the account charged, ${NAME_RULE}` },
  { flag: "--qos", value: NAME, description: `the quality of service, ${NAME_RULE}` },
  { flag: "--reservation", value: NAME, description: `the reservation, ${NAME_RULE}` },
  { flag: "--wckey", value: NAME, description: `the workload characterization key, ${NAME_RULE}` },
  {
    flag: "--constraint",
    value: /^[A-Za-z0-9_][A-Za-z0-9_.]{0,63}(?:[&|][A-Za-z0-9_][A-Za-z0-9_.]{0,63}){0,7}$/,
    description: "node features: names of letters, digits, '_' and '.', joined by '&' (and) or '|' (or)",
  },
  {
    flag: "--gres",
    value: /^[a-z][a-z0-9_]{0,31}(?::[A-Za-z0-9_.-]{1,32})?(?::[1-9]\d{0,2})?$/,
    description: "a generic resource, as name[:type][:count], for example gpu:a100:1",
  },
  { flag: "--tmp", value: SLURM_MEM, description: `temporary disk space, ${SLURM_MEM_RULE}` },
  {
    flag: "--nice",
    value: /^\d{1,4}$/,
    description: "a scheduling niceness from 0 to 9999 (lowers the head job's priority)",
  },
];

const SLURM_REFUSED: Record<string, string> = {
  "--output": "Lockstep decides where the head job writes its output",
  "--error": "Lockstep decides where the head job writes its output",
  "--input": "Lockstep decides what the head job reads",
  "--open-mode": "Lockstep decides where the head job writes its output",
  "--chdir": "Lockstep decides where the head job runs",
  "--export": "it changes the head job's environment, which Lockstep sets",
  "--export-file": "it changes the head job's environment, which Lockstep sets",
  "--get-user-env": "it changes the head job's environment, which Lockstep sets",
  "--propagate": "it changes the head job's environment and limits, which Lockstep sets",
  "--uid": "it changes the user the head job runs as",
  "--gid": "it changes the group the head job runs as",
  "--wrap": "it replaces the head job's script",
  "--job-name": "Lockstep names the head job",
  "--partition": "the partition is the compute environment's own setting",
  "--parsable": "Lockstep sets it",
  "--container": "it runs the head job in a container Lockstep did not choose",
  "--bb": "it runs burst-buffer directives",
  "--bbf": "it runs burst-buffer directives from a file",
  "--clusters": "it submits to another cluster, where Lockstep cannot follow the job",
  "--dependency": "Lockstep starts the head job itself",
  "--hold": "Lockstep starts the head job itself",
  "--array": "Lockstep runs one head job",
  "--comment": "free text is not passed through",
  "--mail-user": "it mails someone Lockstep does not know about",
};

// ── IBM Spectrum LSF (bsub) ──────────────────────────────────────────────────────────────────────
// https://www.ibm.com/docs/en/spectrum-lsf/10.1.0?topic=reference-bsub

const LSF_MEM = /^[1-9]\d{0,8}(?:[KMGT]B?)?$/;
const LSF_MEM_RULE = "a whole number in the cluster's LSF_UNIT_FOR_LIMITS, or with a KB, MB, GB or TB suffix";

const LSF: TSchedulerOptionRule[] = [
  { flag: "-W", value: /^(?:\d{1,4}:)?\d{1,6}$/, description: "the run limit, as [hours:]minutes" },
  { flag: "-We", value: /^(?:\d{1,4}:)?\d{1,6}$/, description: "the estimated run time, as [hours:]minutes" },
  { flag: "-M", value: LSF_MEM, description: `the memory limit, ${LSF_MEM_RULE}` },
  { flag: "-n", value: COUNT, description: `job slots, ${COUNT_RULE}` },
  {
    flag: "-R",
    value:
      /^(?:rusage\[mem=[1-9]\d{0,8}(?:[KMGT]B?)?\]|span\[hosts=1\]|span\[ptile=[1-9]\d{0,3}\]|select\[[A-Za-z][A-Za-z0-9_]{0,63}\])$/,
    description:
      "one resource requirement of rusage[mem=N], span[hosts=1], span[ptile=N] or select[name] (give -R more than once for more)",
  },
  { flag: "-P", value: NAME, description: `the project charged, ${NAME_RULE}` },
  { flag: "-G", value: NAME, description: `the user group charged, ${NAME_RULE}` },
  { flag: "-sla", value: NAME, description: `the service class, ${NAME_RULE}` },
  { flag: "-app", value: NAME, description: `the application profile, ${NAME_RULE}` },
  {
    flag: "-sp",
    value: /^[1-9]\d{0,3}$/,
    description: "the user-assigned job priority, a whole number from 1 to 9999",
  },
];

const LSF_REFUSED: Record<string, string> = {
  "-o": "Lockstep decides where the head job writes its output",
  "-oo": "Lockstep decides where the head job writes its output",
  "-e": "Lockstep decides where the head job writes its output",
  "-eo": "Lockstep decides where the head job writes its output",
  "-i": "Lockstep decides what the head job reads",
  "-is": "Lockstep decides what the head job reads",
  "-cwd": "Lockstep decides where the head job runs",
  "-J": "Lockstep names the head job",
  "-q": "the queue is the compute environment's own setting",
  "-env": "it changes the head job's environment, which Lockstep sets",
  "-E": "it runs a pre-execution command Lockstep did not choose",
  "-Ep": "it runs a post-execution command Lockstep did not choose",
  "-f": "it copies files Lockstep did not choose",
  "-w": "Lockstep starts the head job itself",
  "-H": "Lockstep starts the head job itself",
  "-I": "the head job runs in batch, not interactively",
  "-Is": "the head job runs in batch, not interactively",
  "-K": "Lockstep follows the head job itself",
  "-u": "it mails someone Lockstep does not know about",
  "-Zs": "Lockstep decides what the head job runs",
  "-a": "it runs site esub programs Lockstep did not choose",
  "-clusters": "it submits to another cluster, where Lockstep cannot follow the job",
};

// ── Altair PBS Professional (qsub) ──────────────────────────────────────────────────────────────
// Altair PBS Professional Reference Guide: qsub, and "Resources" (walltime, select, ncpus, mem).

const PBS_SIZE = /^[1-9]\d{0,8}(?:[kmgt]?[bw])?$/;
const PBS_SIZE_RULE = "a size as a whole number with an optional kb, mb, gb, tb (or w) suffix, for example 4gb";

const PBSPRO: TSchedulerOptionRule[] = [
  { flag: "-l walltime", value: CLOCK, description: `the wall-clock limit, ${CLOCK_RULE}` },
  { flag: "-l mem", value: PBS_SIZE, description: `memory, ${PBS_SIZE_RULE}` },
  { flag: "-l ncpus", value: COUNT, description: `CPUs, ${COUNT_RULE}` },
  {
    flag: "-l select",
    value: /^1(?::(?:ncpus=[1-9]\d{0,3}|mem=[1-9]\d{0,8}(?:[kmgt]?[bw])?|ngpus=[1-9]\d{0,2}))+$/,
    description: "one chunk, as 1:ncpus=N[:mem=SIZE][:ngpus=N]",
  },
  {
    flag: "-l place",
    value: /^(?:free|pack|scatter|vscatter)(?::(?:excl|shared|exclhost))?$/,
    description: "the placement, as free, pack, scatter or vscatter, optionally :excl, :shared or :exclhost",
  },
  { flag: "-A", value: NAME, description: `the account charged, ${NAME_RULE}` },
  { flag: "-P", value: NAME, description: `the project, ${NAME_RULE}` },
  { flag: "-p", value: /^-?\d{1,4}$/, description: "the job priority, a whole number from -1024 to 1023" },
];

const PBS_REFUSED: Record<string, string> = {
  "-o": "Lockstep decides where the head job writes its output",
  "-e": "Lockstep decides where the head job writes its output",
  "-j": "Lockstep decides where the head job writes its output",
  "-k": "Lockstep decides where the head job writes its output",
  "-N": "Lockstep names the head job",
  "-q": "the queue is the compute environment's own setting",
  "-v": "it changes the head job's environment, which Lockstep sets",
  "-V": "it changes the head job's environment, which Lockstep sets",
  "-u": "it changes the user the head job runs as",
  "-W": "it sets job attributes such as file staging, dependencies, sandbox and group",
  "-S": "Lockstep decides the head job's shell",
  "-C": "it changes the directive prefix, so later lines become directives",
  "-I": "the head job runs in batch, not interactively",
  "-X": "the head job runs in batch, not interactively",
  "-J": "Lockstep runs one head job",
  "-h": "Lockstep starts the head job itself",
  "-a": "Lockstep starts the head job itself",
  "-m": "it mails someone Lockstep does not know about",
  "-M": "it mails someone Lockstep does not know about",
  "-r": "Lockstep decides whether the head job is rerun",
  "-c": "Lockstep decides the head job's checkpoints",
  "-z": "Lockstep reads the job id qsub prints",
};

// ── Grid Engine (qsub) ──────────────────────────────────────────────────────────────────────────
// Grid Engine man pages: qsub(1), complex(5) (h_rt, h_vmem, mem_free), sge_pe(5).

const SGE_SIZE = /^[1-9]\d{0,8}(?:\.\d{1,3})?[KMGkmg]?$/;
const SGE_SIZE_RULE = "a size as a number with an optional K, M or G suffix, for example 4G";

const SGE: TSchedulerOptionRule[] = [
  { flag: "-l h_rt", value: CLOCK, description: `the hard run-time limit, ${CLOCK_RULE}` },
  { flag: "-l s_rt", value: CLOCK, description: `the soft run-time limit, ${CLOCK_RULE}` },
  { flag: "-l h_vmem", value: SGE_SIZE, description: `the hard virtual-memory limit, ${SGE_SIZE_RULE}` },
  { flag: "-l mem_free", value: SGE_SIZE, description: `free memory needed, ${SGE_SIZE_RULE}` },
  { flag: "-l m_mem_free", value: SGE_SIZE, description: `free memory needed (Univa), ${SGE_SIZE_RULE}` },
  {
    flag: "-pe",
    value: /^[A-Za-z][A-Za-z0-9_.-]{0,63} [1-9]\d{0,3}(?:-[1-9]\d{0,3})?$/,
    description: "a parallel environment and slot count, as 'NAME N' or 'NAME N-M' (one space)",
  },
  { flag: "-P", value: NAME, description: `the project, ${NAME_RULE}` },
  { flag: "-A", value: NAME, description: `the account string, ${NAME_RULE}` },
  {
    flag: "-p",
    value: /^-?\d{1,4}$/,
    description: "the job priority, a whole number from -1023 to 0 (1024 for operators)",
  },
];

const SGE_REFUSED: Record<string, string> = {
  "-o": "Lockstep decides where the head job writes its output",
  "-e": "Lockstep decides where the head job writes its output",
  "-j": "Lockstep decides where the head job writes its output",
  "-i": "Lockstep decides what the head job reads",
  "-N": "Lockstep names the head job",
  "-q": "the queue is the compute environment's own setting",
  "-cwd": "Lockstep decides where the head job runs",
  "-wd": "Lockstep decides where the head job runs",
  "-v": "it changes the head job's environment, which Lockstep sets",
  "-V": "it changes the head job's environment, which Lockstep sets",
  "-S": "Lockstep decides the head job's shell",
  "-C": "it changes the directive prefix, so later lines become directives",
  "-b": "Lockstep decides what the head job runs",
  "-@": "it reads more options from a file",
  "-hold_jid": "Lockstep starts the head job itself",
  "-h": "Lockstep starts the head job itself",
  "-sync": "Lockstep follows the head job itself",
  "-t": "Lockstep runs one head job",
  "-terse": "Lockstep sets it",
  "-M": "it mails someone Lockstep does not know about",
  "-m": "it mails someone Lockstep does not know about",
  "-u": "it changes the user the head job runs as",
};

export const SCHEDULER_OPTION_RULES: Record<TSchedulerOptionKind, readonly TSchedulerOptionRule[]> = {
  slurm: SLURM,
  lsf: LSF,
  pbspro: PBSPRO,
  sge: SGE,
};

const REFUSED: Record<TSchedulerOptionKind, Record<string, string>> = {
  slurm: SLURM_REFUSED,
  lsf: LSF_REFUSED,
  pbspro: PBS_REFUSED,
  sge: SGE_REFUSED,
};

export const SCHEDULER_LABEL: Record<TSchedulerOptionKind, string> = {
  slurm: "Slurm",
  lsf: "LSF",
  pbspro: "PBS Pro",
  sge: "Grid Engine",
};

const FORM: Record<TSchedulerOptionKind, string> = {
  slurm: "--name=value",
  lsf: "-X value (one space)",
  pbspro: "-l resource=value or -X value (one space)",
  sge: "-l resource=value or -X value (one space)",
};

/** An option split as its scheduler writes it: the flag (with the resource for `-l`) and the value. */
export function splitSchedulerOption(
  kind: TSchedulerOptionKind,
  option: string,
): { flag: string; value: string } | null {
  const m =
    kind === "slurm"
      ? /^(--[a-z][a-z0-9-]*)=([\s\S]*)$/.exec(option)
      : ((kind === "pbspro" || kind === "sge") && /^-l ([a-z_]+)=([\s\S]*)$/.exec(option)) ||
        /^(-[A-Za-z@][A-Za-z_]*) ([\s\S]*)$/.exec(option);
  if (!m) return null;
  return { flag: kind !== "slurm" && option.startsWith("-l ") ? `-l ${m[1]}` : m[1]!, value: m[2]! };
}

/** The flag an option starts with, for a message about an option that is not of the right form. */
function flagOf(option: string): string | null {
  const m = /^(--?[A-Za-z@][A-Za-z0-9_-]*)/.exec(option);
  return m ? m[1]! : null;
}

/**
 * Why a head option is refused for this scheduler, or null when it is passed through. The
 * message names the option's flag and the rule, never the value (it may be long, or hold a
 * newline meant to start another directive).
 */
export function schedulerOptionProblem(kind: TSchedulerOptionKind, option: string): string | null {
  const label = SCHEDULER_LABEL[kind];
  const rules = SCHEDULER_OPTION_RULES[kind];
  const allowed = rules.map((r) => r.flag).join(", ");
  if (typeof option !== "string" || option.length === 0)
    return `each ${label} head option must be text of the form ${FORM[kind]}`;
  if (option.length > 300) return `${label} head options are at most 300 characters long`;
  const split = splitSchedulerOption(kind, option);
  const flag = split?.flag ?? flagOf(option);
  if (kind === "slurm" && flag && !flag.startsWith("--"))
    return `${flag}: only long options (--name=value) are passed to sbatch`;
  const refusedWhy = flag ? REFUSED[kind][flag] : undefined;
  if (flag && refusedWhy) return `${flag} is not allowed: ${refusedWhy}`;
  const rule = flag ? rules.find((r) => r.flag === flag) : undefined;
  if (!split) {
    if (rule) return `${flag} must be written ${FORM[kind]}, with a value of ${rule.description}`;
    if (flag) return `${flag} is not one of the ${label} head options Lockstep passes through (${allowed})`;
    return `each ${label} head option must be of the form ${FORM[kind]}`;
  }
  if (!rule) return `${split.flag} is not one of the ${label} head options Lockstep passes through (${allowed})`;
  if (!rule.value.test(split.value))
    return `${split.flag}: the value must be ${rule.description}; no spaces, quotes, newlines or shell characters`;
  return null;
}

// ── Queue and job names, paths ──────────────────────────────────────────────────────────────────

/** A partition (Slurm) or queue: one name, nothing a scheduler could read as a list, a host or an option. */
export const SCHEDULER_QUEUE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
/** A job name Lockstep gives (`lockstep-<run uuid>`): starts with a letter (PBS Pro, Grid Engine), no whitespace or shell characters. */
export const SCHEDULER_JOB_NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,99}$/;
/** An absolute path on the cluster written into a directive: no whitespace, quotes, '%' (a file-name pattern to Slurm, LSF) or shell characters. */
export const SCHEDULER_PATH = /^(?:\/[A-Za-z0-9_.+,@~-]+)+\/?$/;

export function schedulerQueueProblem(kind: TSchedulerOptionKind, queue: string): string | null {
  const what = kind === "slurm" ? "partition" : "queue";
  if (!SCHEDULER_QUEUE.test(queue))
    return `the ${what} must be one name of letters, digits, '_', '.' and '-' (not starting with '.' or '-'), at most 64 characters, with no spaces, commas or shell characters`;
  return null;
}

export function schedulerJobNameProblem(name: string): string | null {
  if (!SCHEDULER_JOB_NAME.test(name))
    return "the job name must start with a letter and hold only letters, digits, '_', '.' and '-', at most 100 characters";
  return null;
}

export function schedulerPathProblem(what: string, path: string): string | null {
  if (!SCHEDULER_PATH.test(path) || path.split("/").some((part) => part === "." || part === "..")) {
    return `${what} must be an absolute path of letters, digits and _ . + , @ ~ - (no '.' or '..' parts, spaces, quotes, '%' or shell characters)`;
  }
  return null;
}
