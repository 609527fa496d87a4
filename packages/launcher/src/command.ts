/**
 * Builds the Nextflow head command for a run. Progress comes from the trace file and the log
 * (DESIGN.md §4: -with-weblog needs a plugin that is unreachable offline). Params are never on
 * it: they go in a `-params-file` (params.ts), so no user text is ever read as an option.
 */
export type TNextflowRun = {
  /** Where `main.nf` lives, or a repository URL. */
  pipeline: string;
  revision?: string;
  runDir: string;
  workDir: string;
  /** Nextflow run name: letters, digits, `_` and `-` only. */
  runName: string;
} & (
  | {
      /**
       * Where the head runs. "host" (local, Slurm): offline, log file in the run directory, params
       * in the file `writeParamsFile` wrote there.
       */
      place?: "host";
      paramsFile: string;
    }
  | {
      /**
       * "cloud" (a Batch head container): the container fetches the pipeline and the cloud plugin,
       * its log goes to the cloud's logging service, and its params file is written by the head's
       * prologue (cloud-head.ts).
       */
      place: "cloud";
    }
);

export function nextflowArgs(run: TNextflowRun): string[] {
  if (!/^[a-z][a-z0-9_-]{0,79}$/.test(run.runName))
    throw new Error("runName must be lower-case letters, digits, '_' or '-'");
  // An option's value that starts with '-' can be read as an option of its own.
  if (run.revision?.startsWith("-")) throw new Error("revision must not start with '-'");
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
  if (run.place !== "cloud") {
    if (!run.paramsFile.startsWith("/")) throw new Error("paramsFile must be an absolute path");
    args.push("-params-file", run.paramsFile);
  }
  return args;
}
