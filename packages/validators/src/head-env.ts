/**
 * What a compute environment may add to how a run's head starts: environment variables and Slurm
 * head options. A compute environment is edited in the browser, but its variables reach the Java
 * VM that runs Nextflow, the shells around it and `sbatch`; `JAVA_TOOL_OPTIONS=-XX:OnOutOfMemoryError=…`
 * made the head run a shell command. So a name that changes how Java, the shell, the dynamic
 * loader, an interpreter, Slurm or Nextflow start is refused, and the Slurm options are an
 * allowlist. The API checks these on create and update; the worker checks them again at launch,
 * for rows stored before the rules existed. Messages name the variable or option, never a value.
 */

/** Variables Lockstep sets itself: how secrets arrive, where Nextflow keeps its state, offline mode. */
const SET_BY_LOCKSTEP = new Set([
  "NXF_SECRETS_FILE",
  "NXF_ENABLE_SECRETS",
  "NXF_GOOGLE_SECRET_VARS",
  "NXF_HOME",
  "NXF_OFFLINE",
  "NXF_ANSI_LOG",
  "NXF_DISABLE_CHECK_LATEST",
  "NXF_PLUGINS_DEFAULT",
  "NXF_TEMP",
  // The cloud head's config and params (cloud-head.ts in @lockstep/launcher).
  "LOCKSTEP_NXF_CONFIG",
  "LOCKSTEP_NXF_PARAMS",
  // nf-lockstep: a jar the head puts on Nextflow's class path, and the run's secret references.
  "LOCKSTEP_NXF_EXT",
  "LOCKSTEP_SECRETS_MANIFEST",
]);

/**
 * The `NXF_` variables a compute environment may set. Nextflow reads many more, and most change
 * how it starts or runs (read from the 24.10 launcher script and jars): NXF_OPTS and NXF_JVM_ARGS
 * are Java VM options, NXF_CLASSPATH / NXF_GRAB / NXF_JAVA_HOME / NXF_LAUNCHER / NXF_PLUGINS_* load
 * code, NXF_CLI_OPTS adds command-line options, NXF_PARAMS_FILE adds params, NXF_VER / NXF_BASE
 * download another Nextflow, NXF_DEBUG turns on shell tracing (task wrappers then print secret
 * values into task logs), NXF_ASSETS / NXF_SCM_FILE / NXF_LOG_FILE / NXF_CACHE_DIR move files
 * Lockstep reads or cleans up. These few only say where task software is cached — the pipeline
 * already chooses which images and environments its tasks run, and they are read when a task
 * needs them, not when Java, the shell or Nextflow start.
 */
export const ALLOWED_NXF_VARS = [
  "NXF_APPTAINER_CACHEDIR",
  "NXF_APPTAINER_LIBRARYDIR",
  "NXF_CHARLIECLOUD_CACHEDIR",
  "NXF_CONDA_CACHEDIR",
  "NXF_SINGULARITY_CACHEDIR",
  "NXF_SINGULARITY_LIBRARYDIR",
  "NXF_SPACK_CACHEDIR",
] as const;
const ALLOWED_NXF = new Set<string>(ALLOWED_NXF_VARS);

const JAVA =
  "changes how the Java VM that runs Nextflow starts (its options, class path or which java runs): it can make the VM run any command";
const LOADER =
  "changes how the dynamic loader and C library start every program (which libraries and modules they load): it can load other code into Nextflow and the shells";
const SHELL =
  "changes how the shells that start Nextflow and its tasks behave before the first command: it can make them run other commands";
const INTERPRETER = "loads code or options into every Python, Perl, Node.js or Ruby program the head starts";
const SLURM =
  "changes how sbatch submits jobs (sbatch reads its options from these variables); use the Slurm head options instead";

/** Why an environment variable may not be set on a compute environment, or null when it may. */
export function envNameProblem(name: string): string | null {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return "is not a valid environment variable name";
  // Singularity and Apptainer copy SINGULARITYENV_X / APPTAINERENV_X into a task's container as X.
  const inContainer = /^(SINGULARITYENV_|APPTAINERENV_)(.+)$/.exec(name);
  if (inContainer) {
    const inner = envNameProblem(inContainer[2]!);
    return inner ? `sets ${inContainer[2]} inside task containers, which ${inner}` : null;
  }
  if (SET_BY_LOCKSTEP.has(name)) return "is set by Lockstep and cannot be overridden";
  if (name === "CLASSPATH" || name === "_JAVA_OPTIONS" || /^(JAVA|JDK|CAPSULE)_/.test(name)) return JAVA;
  if (/^(LD|DYLD)_/.test(name) || /^(GLIBC_TUNABLES|GCONV_PATH|GETCONF_DIR|LOCPATH|NLSPATH|MALLOC_[A-Z_]*)$/.test(name))
    return LOADER;
  if (
    /^BASH_/.test(name) ||
    /^(ENV|SHELLOPTS|BASHOPTS|PS4|PROMPT_COMMAND|IFS|CDPATH|GLOBIGNORE|EXECIGNORE)$/.test(name)
  )
    return SHELL;
  if (name === "PATH")
    return "decides which programs run when Nextflow, its shells and its tasks call a command by name";
  if (name === "HOME") return "decides where Java, the shell and Nextflow read their start-up settings";
  if (name === "TMPDIR") return "is set by Lockstep (each run's temporary files stay in its run directory)";
  if (/^(PYTHON|PERL5)/.test(name) || /^(PERLLIB|NODE_OPTIONS|NODE_PATH|RUBYOPT|RUBYLIB)$/.test(name))
    return INTERPRETER;
  if (/^(SLURM|SBATCH|SALLOC|SRUN)_/.test(name)) return SLURM;
  if (name.startsWith("NXF_") && !ALLOWED_NXF.has(name)) {
    return `changes how Nextflow starts or runs (NXF_OPTS, for instance, passes options to its Java VM); the NXF_ variables a compute environment may set are ${ALLOWED_NXF_VARS.join(", ")}`;
  }
  return null;
}

// ── Slurm head options ─────────────────────────────────────────────────────────────────────

type TSbatchRule = { value: "required" | "optional" | "none"; pattern?: RegExp };

/** An option's value: no spaces, quotes, '=', '/' or leading '-' — nothing sbatch could read as another option or a path. */
const SBATCH_VALUE = /^[A-Za-z0-9_.,:@+*&|!()[\]][A-Za-z0-9_.,:@+*&|!()[\]-]{0,255}$/;
const VALUE_CHARS = "letters, digits and _ . , : @ + * & | ! ( ) [ ] - (not starting with -)";

const required: TSbatchRule = { value: "required" };
/**
 * Options that only shape the head job's resources, placement and accounting. Exact names only:
 * sbatch, like getopt, also takes any unambiguous prefix (`--out=` is `--output=`), so an
 * abbreviation is refused rather than guessed.
 */
const SBATCH_ALLOWED: Record<string, TSbatchRule> = {
  account: required,
  begin: required,
  "cluster-constraint": required,
  comment: required,
  constraint: required,
  "cores-per-socket": required,
  "cpus-per-gpu": required,
  "cpus-per-task": required,
  deadline: required,
  distribution: required,
  exclude: required,
  exclusive: { value: "optional", pattern: /^(user|mcs|topo)$/ },
  gpus: required,
  "gpus-per-node": required,
  "gpus-per-socket": required,
  "gpus-per-task": required,
  gres: required,
  "gres-flags": required,
  hint: required,
  licenses: required,
  mem: required,
  "mem-per-cpu": required,
  "mem-per-gpu": required,
  nice: { value: "optional", pattern: /^\d{1,9}$/ },
  nodelist: required,
  nodes: required,
  ntasks: required,
  "ntasks-per-core": required,
  "ntasks-per-node": required,
  "ntasks-per-socket": required,
  oversubscribe: { value: "none" },
  partition: required,
  prefer: required,
  qos: required,
  requeue: { value: "none" },
  "no-requeue": { value: "none" },
  reservation: required,
  signal: required,
  "sockets-per-node": required,
  "spread-job": { value: "none" },
  contiguous: { value: "none" },
  switches: required,
  "threads-per-core": required,
  time: required,
  "time-min": required,
  tmp: required,
  wckey: required,
};

/** Why some options people reach for are refused (the rest get the general answer). */
const SBATCH_REFUSED: Record<string, string> = {
  output: "Lockstep decides where the head job writes its output",
  error: "Lockstep decides where the head job writes its output",
  input: "Lockstep decides what the head job reads",
  "open-mode": "Lockstep decides where the head job writes its output",
  chdir: "Lockstep decides where the head job runs",
  export: "it changes the head job's environment, which Lockstep sets",
  "export-file": "it changes the head job's environment, which Lockstep sets",
  "get-user-env": "it changes the head job's environment, which Lockstep sets",
  propagate: "it changes the head job's environment and limits, which Lockstep sets",
  uid: "it changes the user the head job runs as",
  gid: "it changes the group the head job runs as",
  wrap: "it replaces the head job's script",
  "job-name": "Lockstep names the head job",
  parsable: "Lockstep sets it",
  container: "it runs the head job in a container Lockstep did not choose",
  "container-id": "it runs the head job in a container Lockstep did not choose",
  bb: "it runs burst-buffer directives",
  bbf: "it runs burst-buffer directives from a file",
  clusters: "it submits to another cluster, where Lockstep cannot follow the job",
  dependency: "Lockstep starts the head job itself",
  hold: "Lockstep starts the head job itself",
};

const ALLOWED_LIST = Object.keys(SBATCH_ALLOWED)
  .sort()
  .map((n) => `--${n}`)
  .join(", ");

/** Why a Slurm head option is refused, or null when it is passed to sbatch. */
export function sbatchOptionProblem(option: string): string | null {
  const m = /^--([a-z][a-z0-9-]*)(?:=([\s\S]*))?$/.exec(option);
  if (!m) {
    return /^-[A-Za-z]/.test(option) && !option.startsWith("--")
      ? `${JSON.stringify(option.slice(0, 2))}: only long options (--name or --name=value) are passed to sbatch`
      : "each option must look like --name or --name=value (no spaces or shell characters)";
  }
  const name = m[1]!;
  const value = m[2];
  const rule = SBATCH_ALLOWED[name];
  if (!rule) {
    const why = SBATCH_REFUSED[name];
    return why
      ? `--${name} is not allowed: ${why}`
      : `--${name} is not one of the sbatch options Lockstep passes through (resources and accounting only: ${ALLOWED_LIST})`;
  }
  if (value === undefined) return rule.value === "required" ? `--${name} needs a value (--${name}=…)` : null;
  if (rule.value === "none") return `--${name} takes no value`;
  if (!SBATCH_VALUE.test(value))
    return `--${name}: the value may hold only ${VALUE_CHARS}, at most 256 characters, with no spaces, quotes, '=' or '/'`;
  if (rule.pattern && !rule.pattern.test(value))
    return `--${name}: ${JSON.stringify(value)} is not a value Lockstep passes through`;
  return null;
}

// ── A stored compute environment, checked again before a run starts ─────────────────────────

export type THeadEnvProblem = { field: string; message: string };

/**
 * Every variable and Slurm option of a stored compute environment that the rules above refuse,
 * with the field it lives in (`computeEnv.env.NAME`, `computeEnv.config.sbatchOptions.N`). The
 * messages name variables and options, never a variable's value.
 */
export function headEnvProblems(ce: { kind: string; env: Record<string, string>; config: unknown }): THeadEnvProblem[] {
  const problems: THeadEnvProblem[] = [];
  for (const name of Object.keys(ce.env).sort()) {
    const problem = envNameProblem(name);
    if (problem) problems.push({ field: `computeEnv.env.${name}`, message: `${name} ${problem}` });
  }
  if (ce.kind === "slurm") {
    const options = (ce.config as { sbatchOptions?: unknown } | null)?.sbatchOptions;
    const list = Array.isArray(options) ? options : [];
    list.forEach((option, i) => {
      const problem = typeof option === "string" ? sbatchOptionProblem(option) : "each option must be text";
      // An option refused for its form may carry a value: name only the option's position then.
      if (problem)
        problems.push({ field: `computeEnv.config.sbatchOptions.${i}`, message: `Slurm option ${i + 1}: ${problem}` });
    });
  }
  return problems;
}
