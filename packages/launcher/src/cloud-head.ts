import { renderParamsJson, type TParams } from "./params";

/**
 * The command a cloud head container runs. A Batch head job has no file Lockstep could write a
 * Nextflow config or a params file into, and the task executor, queue and region are
 * configuration, not CLI options: so the config and the params travel base64-encoded in two
 * environment variables, and a shell prologue decodes them to 0600 files (created exclusively)
 * before exec'ing Nextflow with the run's arguments as "$@" and `-params-file` (no shell ever
 * parses a param, and no param is ever an argument). The config holds names and ids only —
 * secrets reach the head through the job definition (AWS) or NXF_GOOGLE_SECRET_VARS (Google).
 */
import { nextflowArgs } from "./command";
import { ExecutorError, HEAD_FLAGS, type TRunLaunch } from "./executor";
import { isRemotePipeline } from "./local-pipeline";

export type TCloudTarget =
  | { kind: "aws-batch"; region: string; jobQueue: string }
  | { kind: "google-batch"; projectId: string; region: string; serviceAccount: string };

export const HEAD_CONFIG_VAR = "LOCKSTEP_NXF_CONFIG";
export const HEAD_PARAMS_VAR = "LOCKSTEP_NXF_PARAMS";
/** Linux refuses to start a program given one environment string longer than this (MAX_ARG_STRLEN). */
const MAX_ENV_STRING = 128 * 1024 - 1;

/** A Groovy single-quoted string literal. Inputs are validated ids already; this keeps it a literal regardless. */
function literal(value: string): string {
  return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "\\'").replace(/\n/g, "\\n")}'`;
}

export function cloudNextflowConfig(target: TCloudTarget): string {
  switch (target.kind) {
    case "aws-batch":
      return [
        `process.executor = 'awsbatch'`,
        `process.queue = ${literal(target.jobQueue)}`,
        `aws.region = ${literal(target.region)}`,
        "",
      ].join("\n");
    case "google-batch":
      return [
        `process.executor = 'google-batch'`,
        `google.project = ${literal(target.projectId)}`,
        `google.location = ${literal(target.region)}`,
        `google.batch.serviceAccountEmail = ${literal(target.serviceAccount)}`,
        "",
      ].join("\n");
  }
}

// umask 077 and noclobber (-C): both files are created 0600, and a file already at either path fails the head instead of being used.
const PROLOGUE = [
  `set -euC; umask 077; dir="\${TMPDIR:-/tmp}"; config="$dir/lockstep.config"; params="$dir/lockstep-params.json"`,
  `printf '%s' "$${HEAD_CONFIG_VAR}" | base64 -d > "$config"; printf '%s' "$${HEAD_PARAMS_VAR}" | base64 -d > "$params"`,
  `exec nextflow -c "$config" "$@" -params-file "$params"`,
].join("; ");

/** argv for the head container, and the environment variables carrying the config and the params. */
export function cloudHeadCommand(target: TCloudTarget, nextflowArgs: string[], params: TParams): { command: string[]; env: Record<string, string> } {
  const encodedParams = Buffer.from(renderParamsJson(params), "utf8").toString("base64");
  if (HEAD_PARAMS_VAR.length + 1 + encodedParams.length > MAX_ENV_STRING) {
    throw new Error(`the run's params are ${encodedParams.length.toLocaleString("en")} bytes once encoded; a cloud head takes at most ${MAX_ENV_STRING.toLocaleString("en")}`);
  }
  return {
    command: ["bash", "-c", PROLOGUE, "lockstep-head", ...nextflowArgs],
    env: { [HEAD_CONFIG_VAR]: Buffer.from(cloudNextflowConfig(target), "utf8").toString("base64"), [HEAD_PARAMS_VAR]: encodedParams },
  };
}

const LABEL: Record<TCloudTarget["kind"], string> = { "aws-batch": "AWS Batch", "google-batch": "Google Batch" };

/**
 * A cloud head for a run: Nextflow's arguments (the pipeline fetched by the container itself, the
 * work directory and trace under the run's prefix), the config variable, and the environment —
 * the compute environment's variables, the provider's, the config, then Lockstep's flags.
 */
export function cloudHeadFor(target: TCloudTarget, run: TRunLaunch): { command: string[]; env: Record<string, string> } {
  // A path on Lockstep's machine means nothing in the head container.
  if (!isRemotePipeline(run.pipeline)) throw new ExecutorError(`${LABEL[target.kind]} runs pipelines in the cloud: the pipeline must be an https:// repository`, false);
  let args: string[];
  try {
    args = nextflowArgs({ pipeline: run.pipeline, revision: run.revision, runDir: run.runDir, workDir: `${run.runDir}/work`, runName: run.runName, place: "cloud" });
  } catch (error) {
    throw new ExecutorError(error instanceof Error ? error.message : "the run's Nextflow arguments are invalid", false);
  }
  let head: { command: string[]; env: Record<string, string> };
  try {
    head = cloudHeadCommand(target, args, run.params);
  } catch (error) {
    throw new ExecutorError(error instanceof Error ? error.message : "the run's params cannot be handed to the head", false);
  }
  const { command, env } = head;
  return { command, env: { ...run.env, ...run.secretsEnv, ...env, ...HEAD_FLAGS } };
}
