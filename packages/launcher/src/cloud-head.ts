/**
 * The command a cloud head container runs. A Batch head job has no file Lockstep could write a
 * Nextflow config into, and the task executor, queue and region are configuration, not CLI
 * options: so the config travels base64-encoded in one environment variable, and a two-line shell
 * prologue decodes it to a file before exec'ing Nextflow with the run's arguments as "$@" (no shell
 * ever parses a param). The config holds names and ids only — secrets reach the head through the
 * job definition (AWS) or NXF_GOOGLE_SECRET_VARS (Google).
 */
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
