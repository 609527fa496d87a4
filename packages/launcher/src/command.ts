/**
 * Builds the Nextflow head command for a run. Progress comes from the trace file and the log
 * (DESIGN.md §4: -with-weblog needs a plugin that is unreachable offline).
 */
export type TNextflowRun = {
  /** Where `main.nf` lives, or a repository URL. */
  pipeline: string;
  revision?: string;
  runDir: string;
  workDir: string;
  params: Record<string, string | number | boolean>;
  /** Nextflow run name: letters, digits, `_` and `-` only. */
  runName: string;
  /**
   * Where the head runs. "host" (local, Slurm): offline, log file in the run directory. "cloud" (a
   * Batch head container): the container fetches the pipeline and the cloud plugin, and its log
   * goes to the cloud's logging service.
   */
  place?: "host" | "cloud";
};

const PARAM_KEY = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

export function nextflowArgs(run: TNextflowRun): string[] {
  if (!/^[a-z][a-z0-9_-]{0,79}$/.test(run.runName)) throw new Error("runName must be lower-case letters, digits, '_' or '-'");
  const cloud = run.place === "cloud";
  const args = [
    ...(cloud ? [] : ["-log", `${run.runDir}/nextflow.log`]),
    "run",
    run.pipeline,
    "-name",
    run.runName,
    "-work-dir",
    run.workDir,
    ...(cloud ? [] : ["-offline"]),
  ];
  if (run.revision) args.push("-r", run.revision);
  args.push("-with-trace", `${run.runDir}/trace.tsv`, "-ansi-log", "false");
  for (const [key, value] of Object.entries(run.params)) {
    if (!PARAM_KEY.test(key)) throw new Error(`param name ${JSON.stringify(key)} must match ${PARAM_KEY.source}`);
    args.push(`--${key}`, String(value));
  }
  return args;
}
