import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { TAppRouter } from "@lockstep/api";

export type TComputeEnv = inferRouterOutputs<TAppRouter>["computeEnvs"]["get"];
export type TComputeEnvInput = inferRouterInputs<TAppRouter>["computeEnvs"]["create"]["computeEnv"];
export type TCredential = inferRouterOutputs<TAppRouter>["credentials"]["list"][number];
export type TKind = TComputeEnv["kind"];
export type TCloudKind = Extract<TKind, "aws-batch" | "google-batch">;
export type TSshKind = Extract<TKind, "ssh-slurm" | "ssh-lsf" | "ssh-pbspro" | "ssh-sge">;

/** The release installed with Lockstep (scripts resolve it from Maven Central). */
export const DEFAULT_NEXTFLOW_VERSION = "24.10.8";
/** The server's default too; shown in the field so nobody has to guess it. */
export const DEFAULT_SECRET_PREFIX = "lockstep-";

export const KIND_LABELS: Record<TKind, string> = {
  local: "Local",
  slurm: "Slurm",
  "aws-batch": "AWS Batch",
  "google-batch": "Google Batch",
  "ssh-slurm": "Slurm over SSH",
  "ssh-lsf": "LSF over SSH",
  "ssh-pbspro": "PBS Pro over SSH",
  "ssh-sge": "Grid Engine over SSH",
};

/** The credentials a cloud kind needs, by the provider the credentials page stores them under. */
export const CLOUD_PROVIDER = { "aws-batch": "aws", "google-batch": "google" } as const satisfies Record<
  TCloudKind,
  TCredential["provider"]
>;
export const PROVIDER_LABEL: Record<TCredential["provider"], string> = {
  aws: "AWS",
  google: "Google Cloud",
  ssh: "SSH (cluster account)",
};

/**
 * What a run's secrets reach on each kind, said plainly wherever a kind is chosen (the
 * compute-environment and launch forms). Keep in step with docs/aws.md and docs/google.md.
 */
export const SECRETS_REACH: Record<TKind, string> = {
  local: "Secrets reach nextflow.config, the workflow and every task that declares them.",
  slurm: "Secrets reach nextflow.config, the workflow and every task that declares them.",
  ...(Object.fromEntries(
    (["ssh-slurm", "ssh-lsf", "ssh-pbspro", "ssh-sge"] as const).map((kind) => [
      kind,
      "Secrets reach nextflow.config, the workflow and every task that declares them, in the cluster account's 0700 store on the cluster (tasks read Nextflow's per-task secrets file from the shared work directory).",
    ]),
  ) as Record<TSshKind, string>),
  "aws-batch":
    "Secrets reach nextflow.config and the workflow in the head job. A task that declares one runs as a per-run Batch job definition whose ECS secrets name the run's Secrets Manager ARNs; ECS puts the values in the task's environment with the execution role when the container starts (the image the process names is kept; processes without secrets are unchanged; containerOptions cannot be combined with secrets). Tested against moto here, not yet in a real account.",
  "google-batch":
    "Secrets reach nextflow.config and the workflow in the head job, and each task that declares one reads it from Secret Manager when it starts, with the jobs' service account (the task image needs curl). Tested against emulators here, not yet in a real project.",
};

export const isCloudKind = (kind: TKind): kind is TCloudKind => kind === "aws-batch" || kind === "google-batch";
export const isSshKind = (kind: TKind): kind is TSshKind => kind.startsWith("ssh-");

/** A compute environment of the given kinds: its `config` is those kinds' settings. */
export type TComputeEnvOf<K extends TKind> = Extract<TComputeEnv, { kind: K }>;

/** An SSH cluster environment's settings (one shape for the four schedulers), or null for the other kinds or none. */
export function sshConfig(ce: TComputeEnv | undefined): TComputeEnvOf<TSshKind>["config"] | null {
  switch (ce?.kind) {
    case "ssh-slurm":
    case "ssh-lsf":
    case "ssh-pbspro":
    case "ssh-sge":
      return ce.config;
    default:
      return null;
  }
}
