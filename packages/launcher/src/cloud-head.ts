/**
 * The command a cloud head container runs. A Batch head job has no file Lockstep could write a
 * Nextflow config into, and the task executor, queue and region are configuration, not CLI
 * options: so the config travels base64-encoded in one environment variable, and a two-line shell
 * prologue decodes it to a file before exec'ing Nextflow with the run's arguments as "$@" (no shell
 * ever parses a param). The config holds names and ids only — secrets reach the head through the
 * job definition (AWS) or NXF_GOOGLE_SECRET_VARS (Google).
 */
import { nextflowArgs } from "./command";
import { ExecutorError, HEAD_FLAGS, type TRunLaunch } from "./executor";
import { isRemotePipeline } from "./local-pipeline";

export type TCloudTarget =
  | { kind: "aws-batch"; region: string; jobQueue: string }
  | { kind: "google-batch"; projectId: string; region: string; serviceAccount: string };

export const HEAD_CONFIG_VAR = "LOCKSTEP_NXF_CONFIG";

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

const PROLOGUE = `set -eu; config="\${TMPDIR:-/tmp}/lockstep.config"; printf '%s' "$${HEAD_CONFIG_VAR}" | base64 -d > "$config"; exec nextflow -c "$config" "$@"`;

/** argv for the head container, and the environment variable carrying the config. */
export function cloudHeadCommand(target: TCloudTarget, nextflowArgs: string[]): { command: string[]; env: Record<string, string> } {
  return {
    command: ["bash", "-c", PROLOGUE, "lockstep-head", ...nextflowArgs],
    env: { [HEAD_CONFIG_VAR]: Buffer.from(cloudNextflowConfig(target), "utf8").toString("base64") },
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
    args = nextflowArgs({ pipeline: run.pipeline, revision: run.revision, runDir: run.runDir, workDir: `${run.runDir}/work`, params: run.params, runName: run.runName, place: "cloud" });
  } catch (error) {
    throw new ExecutorError(error instanceof Error ? error.message : "the run's Nextflow arguments are invalid", false);
  }
  const { command, env } = cloudHeadCommand(target, args);
  return { command, env: { ...run.env, ...run.secretsEnv, ...env, ...HEAD_FLAGS } };
}
