import { renderParamsJson, type TParams } from "./params";

/**
 * The command a cloud head container runs. A Batch head job has no file Lockstep could write a
 * Nextflow config or a params file into, and the task executor, queue and region are
 * configuration, not CLI options: so the config and the params travel base64-encoded in two
 * environment variables, and a shell prologue decodes them to 0600 files (created exclusively)
 * before exec'ing Nextflow with the run's arguments as "$@" and `-params-file` (no shell ever
 * parses a param, and no param is ever an argument). The config holds names and ids only. With
 * nf-lockstep, LOCKSTEP_SECRETS_MANIFEST gives Nextflow the run's secrets as references into the
 * cloud store, which its provider resolves in the head (and, on Google Batch, in each task).
 */
import { nextflowArgs } from "./command";
import { ExecutorError, HEAD_FLAGS, type TRunLaunch } from "./executor";
import { isRemotePipeline } from "./local-pipeline";
import { JVM_OPENS } from "./nextflow-dist";
import { SECRETS_MANIFEST_VAR } from "./nf-lockstep";

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

export const HEAD_EXTENSION_VAR = "LOCKSTEP_NXF_EXT";

/** The --add-opens flags Nextflow's own launcher script passes on Java 17+. */
const OPENS = JVM_OPENS.map((p) => `--add-opens=${p}=ALL-UNNAMED`).join(" ");

// umask 077 and noclobber (-C): every file is created 0600, and a file already at a path fails the head instead of being used.
// With nf-lockstep (LOCKSTEP_NXF_EXT, base64 of its jar) the head runs the image's Nextflow jar
// with nf-lockstep beside it on the class path, so Nextflow finds Lockstep's secrets provider
// when it first reads `secrets.X` in nextflow.config (a plugin would start too late for that).
const PROLOGUE = [
  `set -euC; umask 077; dir="\${TMPDIR:-/tmp}"; config="$dir/lockstep.config"; params="$dir/lockstep-params.json"`,
  `printf '%s' "$${HEAD_CONFIG_VAR}" | base64 -d > "$config"; printf '%s' "$${HEAD_PARAMS_VAR}" | base64 -d > "$params"`,
  `if [ -n "\${${HEAD_EXTENSION_VAR}:-}" ]; then ext="$dir/nf-lockstep.jar"; printf '%s' "$${HEAD_EXTENSION_VAR}" | base64 -d > "$ext"; unset ${HEAD_EXTENSION_VAR}`,
  `nxf_jar=""; for j in "\${NXF_HOME:-\${HOME:-/root}/.nextflow}"/framework/*/nextflow-*-one.jar; do if [ -f "$j" ]; then nxf_jar="$j"; fi; done`,
  `if [ -z "$nxf_jar" ]; then echo "lockstep: no Nextflow jar under \${NXF_HOME:-\${HOME:-/root}/.nextflow}/framework: the head image must have Nextflow installed (run 'nextflow info' when building it)" >&2; exit 127; fi`,
  `exec java -Dfile.encoding=UTF-8 \${NXF_OPTS:-} ${OPENS} -cp "$nxf_jar:$ext" nextflow.cli.Launcher -c "$config" "$@" -params-file "$params"; fi`,
  `exec nextflow -c "$config" "$@" -params-file "$params"`,
].join("; ");

/** What a head needs so Nextflow resolves the run's secrets from its cloud store (see nf-lockstep.ts). */
export type TCloudHeadSecrets = { extensionJar: Buffer; manifest: string };

/** argv for the head container, and the environment variables carrying the config and the params. */
export function cloudHeadCommand(
  target: TCloudTarget,
  nextflowArgs: string[],
  params: TParams,
  secrets?: TCloudHeadSecrets,
): { command: string[]; env: Record<string, string> } {
  const encodedParams = Buffer.from(renderParamsJson(params), "utf8").toString("base64");
  if (HEAD_PARAMS_VAR.length + 1 + encodedParams.length > MAX_ENV_STRING) {
    throw new Error(
      `the run's params are ${encodedParams.length.toLocaleString("en")} bytes once encoded; a cloud head takes at most ${MAX_ENV_STRING.toLocaleString("en")}`,
    );
  }
  return {
    command: ["bash", "-c", PROLOGUE, "lockstep-head", ...nextflowArgs],
    env: {
      [HEAD_CONFIG_VAR]: Buffer.from(cloudNextflowConfig(target), "utf8").toString("base64"),
      [HEAD_PARAMS_VAR]: encodedParams,
      ...(secrets
        ? { [HEAD_EXTENSION_VAR]: secrets.extensionJar.toString("base64"), [SECRETS_MANIFEST_VAR]: secrets.manifest }
        : {}),
    },
  };
}

const LABEL: Record<TCloudTarget["kind"], string> = { "aws-batch": "AWS Batch", "google-batch": "Google Batch" };

/**
 * A cloud head for a run: Nextflow's arguments (the pipeline fetched by the container itself, the
 * work directory and trace under the run's prefix), the config variable, and the environment —
 * the compute environment's variables, the provider's, the config, then Lockstep's flags.
 */
export function cloudHeadFor(
  target: TCloudTarget,
  run: TRunLaunch,
  secrets?: TCloudHeadSecrets,
): { command: string[]; env: Record<string, string> } {
  // A path on Lockstep's machine means nothing in the head container.
  if (!isRemotePipeline(run.pipeline))
    throw new ExecutorError(
      `${LABEL[target.kind]} runs pipelines in the cloud: the pipeline must be an https:// repository`,
      false,
    );
  let args: string[];
  try {
    args = nextflowArgs({
      pipeline: run.pipeline,
      revision: run.revision,
      runDir: run.runDir,
      workDir: `${run.runDir}/work`,
      runName: run.runName,
      place: "cloud",
    });
  } catch (error) {
    throw new ExecutorError(error instanceof Error ? error.message : "the run's Nextflow arguments are invalid", false);
  }
  let head: { command: string[]; env: Record<string, string> };
  try {
    head = cloudHeadCommand(target, args, run.params, secrets);
  } catch (error) {
    throw new ExecutorError(
      error instanceof Error ? error.message : "the run's params cannot be handed to the head",
      false,
    );
  }
  const { command, env } = head;
  return { command, env: { ...run.env, ...run.secretsEnv, ...env, ...HEAD_FLAGS } };
}
