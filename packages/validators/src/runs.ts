import { z } from "zod";
import "./messages";
import { envNameProblem, sbatchOptionProblem } from "./head-env";
import { schedulerOptionProblem, SCHEDULER_QUEUE, type TSchedulerOptionKind } from "./scheduler-options";
import { ZSecretName } from "./secrets";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** At most this many variables per compute environment, however they were given. */
export const MAX_ENV_VARS = 100;

/** The name of an environment variable (what `keepEnv` lists: values are write-only). */
export const ZEnvName = z.string().regex(ENV_NAME, "Use letters, digits and '_' only, not starting with a digit.");

export const ZEnvVars = z
  .record(z.string(), z.string().max(4096, "Each value must be at most 4,096 characters."))
  .superRefine((vars, ctx) => {
    for (const name of Object.keys(vars)) {
      // Names only (values are write-only): see head-env.ts for what is refused and why.
      const problem = envNameProblem(name);
      if (problem) ctx.addIssue({ code: "custom", path: [name], message: `${name} ${problem}` });
    }
    if (Object.keys(vars).length > MAX_ENV_VARS)
      ctx.addIssue({ code: "custom", message: `at most ${MAX_ENV_VARS} environment variables` });
  });

export const ZAbsolutePath = z
  .string()
  .trim()
  .min(1, "Enter an absolute path, such as /data/lockstep.")
  .max(1024, "Must be at most 1,024 characters.")
  .regex(/^\/[^\0]*$/, "Enter an absolute path, starting with /.")
  .refine((p) => p !== "/", "Choose a directory below /, such as /data/lockstep.")
  .refine((p) => !p.split("/").includes(".."), "The path must not contain '..'.");

/** Released Nextflow versions look like 24.10.5 (or -edge suffixes). */
export const ZNextflowVersion = z
  .string()
  .regex(/^\d{2}\.\d{2}\.\d+(-edge)?$/, "Enter a Nextflow release such as 24.10.5.");

const base = {
  name: z
    .string()
    .trim()
    .min(1, "Give the compute environment a name.")
    .max(100, "Name must be at most 100 characters."),
  workDir: ZAbsolutePath,
  nextflowVersion: ZNextflowVersion,
  env: ZEnvVars.default({}),
  maxRunSeconds: z
    .number()
    .int()
    .min(60, "Allow at least 60 seconds.")
    .max(30 * 86_400, "Allow at most 30 days.")
    .default(86_400),
};

export const ZLocalConfig = z.object({});
export const ZSlurmConfig = z.object({
  partition: z
    .string()
    .regex(/^[A-Za-z0-9_.-]{1,64}$/, "Partition names use letters, digits, '_', '.' and '-' (at most 64).")
    .optional(),
  sbatchOptions: z
    .array(
      z.string().superRefine((option, ctx) => {
        const problem = sbatchOptionProblem(option);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    )
    .max(20, "At most 20 Slurm options.")
    .default([]),
});

const ZSecretPrefixAws = z
  .string()
  .regex(/^[A-Za-z0-9/_+=.@-]{1,64}$/, "Use letters, digits and / _ + = . @ - (at most 64).")
  .default("lockstep-");
const ZSecretPrefixGoogle = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, "Use letters, digits, '_' and '-' (at most 64).")
  .default("lockstep-");

export const ZAwsBatchConfig = z.object({
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "Enter an AWS region such as eu-west-1."),
  jobQueue: z.string().min(1, "Enter the Batch job queue.").max(256, "Must be at most 256 characters."),
  executionRoleArn: z
    .string()
    .regex(
      /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
      "Enter an IAM role ARN such as arn:aws:iam::123456789012:role/lockstep.",
    ),
  headImage: z
    .string()
    .min(1, "Enter the container image of the Nextflow head job.")
    .max(512, "Must be at most 512 characters."),
  secretPrefix: ZSecretPrefixAws,
  kmsKeyId: z.string().max(2048, "Must be at most 2,048 characters.").optional(),
  credentialId: z.uuid({ error: "Choose the AWS credentials to use." }),
});

export const ZGoogleBatchConfig = z.object({
  projectId: z
    .string()
    .regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "Enter a Google Cloud project id such as my-project-123."),
  region: z.string().regex(/^[a-z]+-[a-z]+\d$/, "Enter a Google Cloud region such as europe-west4."),
  serviceAccount: z.email({
    error: "Enter a service account email such as runner@my-project.iam.gserviceaccount.com.",
  }),
  /** The Nextflow head image; omitted: nextflow/nextflow:<the environment's Nextflow version>. */
  headImage: z
    .string()
    .min(1, "Enter a container image, or leave it empty.")
    .max(512, "Must be at most 512 characters.")
    .optional(),
  machineType: z
    .string()
    .regex(/^[a-z0-9-]{1,63}$/, "Enter a Compute Engine machine type such as e2-standard-2.")
    .optional(),
  secretPrefix: ZSecretPrefixGoogle,
  credentialId: z.uuid({ error: "Choose the Google credentials to use." }),
});

/** The compute environment kinds that reach a cluster's login node over SSH as the workspace's own account (docs/hpc.md). */
export const SSH_COMPUTE_KINDS = {
  "ssh-slurm": "slurm",
  "ssh-lsf": "lsf",
  "ssh-pbspro": "pbspro",
  "ssh-sge": "sge",
} as const satisfies Record<string, TSchedulerOptionKind>;
export type TSshComputeKind = keyof typeof SSH_COMPUTE_KINDS;
export function isSshComputeKind(kind: string): kind is TSshComputeKind {
  return Object.hasOwn(SSH_COMPUTE_KINDS, kind);
}

/** A host key fingerprint as OpenSSH prints it (`ssh-keygen -l`): SHA256, base64 without padding. */
export const ZHostKeySha256 = z
  .string()
  .regex(
    /^SHA256:[A-Za-z0-9+/]{43}$/,
    "A host key fingerprint looks like SHA256: followed by 43 characters, as ssh-keygen -l prints it.",
  );

const ZSshHost = z
  .string()
  .trim()
  .regex(
    /^(?:(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]{2,39})$/,
    "Enter the login node's host name or IP address, such as login.cluster.example.org.",
  );

/** Java on the cluster: `java` from the account's PATH, or an absolute path. */
const ZClusterCommand = z
  .string()
  .regex(
    /^(?:java|(?:\/[A-Za-z0-9_.+,@~-]+)+)$/,
    "Enter java (found on the account's PATH) or an absolute path such as /opt/java/bin/java.",
  );

function sshClusterConfig(kind: TSchedulerOptionKind) {
  return z.object({
    host: ZSshHost,
    port: z
      .number()
      .int()
      .min(1, "Enter a port from 1 to 65535.")
      .max(65_535, "Enter a port from 1 to 65535.")
      .default(22),
    credentialId: z.uuid({ error: "Choose the SSH credentials to use." }),
    /** The host key the workspace confirmed after "Check connection"; absent: every connection is refused until one is. */
    hostKeySha256: ZHostKeySha256.optional(),
    /** One directory per run on the cluster (scripts, console, trace, the secrets store). */
    launchDir: ZAbsolutePath,
    queue: z
      .string()
      .regex(SCHEDULER_QUEUE, "Queue and partition names use letters, digits, '_', '.' and '-' (at most 64).")
      .optional(),
    headOptions: z
      .array(
        z.string().superRefine((option, ctx) => {
          const problem = schedulerOptionProblem(kind, option);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
      )
      .max(20, "At most 20 head-job options.")
      .default([]),
    java: ZClusterCommand.default("java"),
    /** `stage`: Lockstep copies its pinned Nextflow into the account's ~/.cache over SFTP (verified there); `path`: the pinned jars are already at libDir. */
    nextflow: z
      .discriminatedUnion("mode", [
        z.object({ mode: z.literal("stage") }),
        z.object({ mode: z.literal("path"), libDir: ZAbsolutePath }),
      ])
      .default({ mode: "stage" }),
  });
}

export const ZSshSlurmConfig = sshClusterConfig("slurm");
export const ZSshLsfConfig = sshClusterConfig("lsf");
export const ZSshPbsProConfig = sshClusterConfig("pbspro");
export const ZSshSgeConfig = sshClusterConfig("sge");
export type TSshClusterConfigInput = z.infer<typeof ZSshSlurmConfig>;
export const SSH_CONFIG_SCHEMAS = {
  "ssh-slurm": ZSshSlurmConfig,
  "ssh-lsf": ZSshLsfConfig,
  "ssh-pbspro": ZSshPbsProConfig,
  "ssh-sge": ZSshSgeConfig,
} as const;

const cloudBase = { ...base, workDir: z.string().trim().max(1024, "Must be at most 1,024 characters.") };

export const ZComputeEnvInput = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("local"), config: ZLocalConfig.default({}) }),
  z.object({ ...base, kind: z.literal("slurm"), config: ZSlurmConfig.default({ sbatchOptions: [] }) }),
  z.object({
    ...cloudBase,
    workDir: cloudBase.workDir.regex(
      /^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/,
      "Enter an s3:// bucket path such as s3://my-bucket/work.",
    ),
    kind: z.literal("aws-batch"),
    config: ZAwsBatchConfig,
  }),
  z.object({ ...base, kind: z.literal("ssh-slurm"), config: ZSshSlurmConfig }),
  z.object({ ...base, kind: z.literal("ssh-lsf"), config: ZSshLsfConfig }),
  z.object({ ...base, kind: z.literal("ssh-pbspro"), config: ZSshPbsProConfig }),
  z.object({ ...base, kind: z.literal("ssh-sge"), config: ZSshSgeConfig }),
  z.object({
    ...cloudBase,
    workDir: cloudBase.workDir.regex(
      /^gs:\/\/[a-z0-9._-]{3,222}(\/.*)?$/,
      "Enter a gs:// bucket path such as gs://my-bucket/work.",
    ),
    kind: z.literal("google-batch"),
    config: ZGoogleBatchConfig,
  }),
]);
export type TComputeEnvInput = z.infer<typeof ZComputeEnvInput>;

export const ZParams = z
  .record(
    z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "Param names use letters, digits, '_', '.' and '-'."),
    z.union([z.string().max(4096, "Each value must be at most 4,096 characters."), z.number(), z.boolean()]),
  )
  .refine((p) => Object.keys(p).length <= 200, "At most 200 params.");

export const ZRepository = z
  .string()
  .trim()
  .max(1024, "Must be at most 1,024 characters.")
  .refine(
    (r) => /^https:\/\/[^\s]+$/.test(r) || /^\/[^\0]*$/.test(r),
    "Enter an https:// repository URL or an absolute path to a directory with main.nf.",
  );

/**
 * LOCKSTEP_LOCAL_PIPELINE_ROOTS: the directories local-path pipelines may live in, as
 * colon-separated absolute paths. Unset (or empty) means no local path is accepted.
 */
export const ZLocalPipelineRoots = z
  .string()
  .optional()
  .superRefine((value, ctx) => {
    if (value === undefined) return;
    for (const [i, entry] of value.split(":").entries()) {
      const problem =
        entry.trim() === ""
          ? "has an empty entry (two colons in a row, or a colon at either end)"
          : !entry.startsWith("/")
            ? "must list absolute paths (starting with /)"
            : entry.split("/").includes("..")
              ? "must not contain '..'"
              : null;
      if (problem) {
        ctx.addIssue({
          code: "custom",
          message: `LOCKSTEP_LOCAL_PIPELINE_ROOTS ${problem}: entry ${i + 1} of a colon-separated list such as /srv/pipelines:/data/pipelines`,
        });
        return;
      }
    }
  })
  .transform((value) => (value === undefined ? [] : value.split(":").map((entry) => entry.replace(/(.)\/+$/, "$1"))));

export const ZPipelineInput = z.object({
  name: z.string().trim().min(1, "Give the pipeline a name.").max(100, "Name must be at most 100 characters."),
  repository: ZRepository,
  revision: z
    .string()
    .regex(/^[A-Za-z0-9_./-]{1,128}$/, "Enter a branch, tag or commit name (letters, digits, '_', '.', '/', '-').")
    .optional(),
  defaultParams: ZParams.default({}),
  defaultComputeEnvId: z.uuid({ error: "Choose a compute environment." }).nullable().default(null),
  /** Secrets a run may go without: missing ones are left out instead of refusing the launch. */
  optionalSecrets: z.array(ZSecretName).max(200).default([]),
});

/**
 * Which secrets a launch sends. `needed`: exactly the names the pipeline's sources ask for (the
 * default when they are known); `selected`: only these names; `all`: every workspace secret, and
 * personal secrets only for names the pipeline needs (all of them when its needs are unknown).
 */
export const ZSecretSelection = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("needed") }),
  z.object({ mode: z.literal("all") }),
  z.object({ mode: z.literal("selected"), names: z.array(ZSecretName).max(200, "At most 200 secrets.") }),
  z.object({ mode: z.literal("none") }),
]);
export type TSecretSelection = z.infer<typeof ZSecretSelection>;

// ── Cloud credentials (the content of a sealed credential) ───────────────────────────────────

export const ZAwsCredential = z.union([
  z.strictObject({
    accessKeyId: z
      .string()
      .regex(
        /^(AKIA|ASIA)[A-Z0-9]{12,124}$/,
        "The access key id starts with AKIA or ASIA, then upper-case letters and digits.",
      ),
    secretAccessKey: z
      .string()
      .min(16, "The secret access key looks too short.")
      .max(256, "The secret access key must be at most 256 characters."),
    sessionToken: z.string().max(4096, "The session token must be at most 4,096 characters.").optional(),
  }),
  z.strictObject({
    roleArn: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/,
        "The role must be an IAM role ARN such as arn:aws:iam::123456789012:role/lockstep.",
      ),
    externalId: z.string().max(1224, "The external id must be at most 1,224 characters.").optional(),
  }),
]);

export const ZGoogleCredential = z
  .object({
    type: z.literal("service_account", { error: 'A Google service-account key has "type": "service_account".' }),
    project_id: z.string().min(1, "The key has no project_id."),
    private_key: z.string().min(1, "The key has no private_key."),
    client_email: z.email({ error: "The key has no client_email." }),
  })
  .passthrough();

/**
 * SSH credentials of a cluster account: the account's name and its private key (OpenSSH or PEM),
 * optionally with the key's passphrase. Where the key is used (host, port) and which host key is
 * trusted belong to the compute environment, which a workspace can see and edit; the key never
 * leaves the worker.
 */
export const ZSshCredential = z.strictObject({
  user: z
    .string()
    .regex(
      /^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/,
      "The cluster account name uses letters, digits, '_', '.' and '-' (at most 32), not starting with a digit.",
    ),
  privateKey: z
    .string()
    .max(16_384, "The private key must be at most 16 KiB.")
    .regex(
      /^-----BEGIN (?:OPENSSH|RSA|EC|DSA|ENCRYPTED)? ?PRIVATE KEY-----\r?\n[\s\S]+-----END (?:OPENSSH|RSA|EC|DSA|ENCRYPTED)? ?PRIVATE KEY-----\s*$/,
      "Paste the whole private key, from -----BEGIN … PRIVATE KEY----- to -----END … PRIVATE KEY-----.",
    ),
  passphrase: z.string().max(1024, "The passphrase must be at most 1,024 characters.").optional(),
});
export type TSshCredential = z.infer<typeof ZSshCredential>;

export type TCredentialProvider = "aws" | "google" | "ssh";

/** Checks a plain credential's JSON; messages name the field and rule, never a value. */
export function credentialProblem(provider: TCredentialProvider, text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "value: Paste the JSON key file (this is not JSON).";
  }
  const result = (
    provider === "aws" ? ZAwsCredential : provider === "ssh" ? ZSshCredential : ZGoogleCredential
  ).safeParse(parsed);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  // No branch of the AWS shapes fits: say which keys make one, rather than zod's "invalid input".
  if (provider === "aws" && (issue.code === "invalid_union" || issue.code === "unrecognized_keys")) {
    return 'value: Give "accessKeyId" and "secretAccessKey" (and optionally "sessionToken"), or "roleArn" (and optionally "externalId").';
  }
  // The path places the message on its field ("value: accessKeyId: …"); the message reads on its own.
  return `value: ${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`;
}

/**
 * The run lifecycle's states, the one list every layer uses (the database enum, the API's output,
 * the worker's transitions, the pages). DESIGN.md §4.
 */
export const RUN_STATUSES = ["SUBMITTED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"] as const;
export type TRunStatus = (typeof RUN_STATUSES)[number];
/** How a run ended; nothing follows but the cleanup of its secrets. */
export const TERMINAL_RUN_STATUSES = [
  "SUCCEEDED",
  "FAILED",
  "CANCELLED",
  "LOST",
] as const satisfies readonly TRunStatus[];
export type TTerminalRunStatus = (typeof TERMINAL_RUN_STATUSES)[number];
export const isTerminalRunStatus = (status: TRunStatus): status is TTerminalRunStatus =>
  (TERMINAL_RUN_STATUSES as readonly TRunStatus[]).includes(status);

/** Where a run's secrets are: not needed, being written, written, being deleted, gone, or failed to delete. */
export const SECRETS_STATES = ["NONE", "PENDING", "PROVISIONED", "DELETING", "DELETED", "CLEANUP_FAILED"] as const;
export type TSecretsState = (typeof SECRETS_STATES)[number];
/** Secrets states after which nothing more will happen to the run's secrets. */
export const SETTLED_SECRETS_STATES = ["NONE", "DELETED", "CLEANUP_FAILED"] as const satisfies readonly TSecretsState[];
export const isSecretsSettled = (state: TSecretsState) =>
  (SETTLED_SECRETS_STATES as readonly TSecretsState[]).includes(state);
