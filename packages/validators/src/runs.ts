import { z } from "zod";
import { envNameProblem, sbatchOptionProblem } from "./head-env";
import { ZSecretName } from "./secrets";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** At most this many variables per compute environment, however they were given. */
export const MAX_ENV_VARS = 100;

/** The name of an environment variable (what `keepEnv` lists: values are write-only). */
export const ZEnvName = z.string().regex(ENV_NAME, "must be an environment variable name (letters, digits and '_', not starting with a digit)");

export const ZEnvVars = z
  .record(z.string(), z.string().max(4096, "environment values must be at most 4,096 characters"))
  .superRefine((vars, ctx) => {
    for (const name of Object.keys(vars)) {
      // Names only (values are write-only): see head-env.ts for what is refused and why.
      const problem = envNameProblem(name);
      if (problem) ctx.addIssue({ code: "custom", path: [name], message: `${name} ${problem}` });
    }
    if (Object.keys(vars).length > MAX_ENV_VARS) ctx.addIssue({ code: "custom", message: `at most ${MAX_ENV_VARS} environment variables` });
  });

export const ZAbsolutePath = z
  .string()
  .trim()
  .min(2)
  .max(1024)
  .regex(/^\/[^\0]*$/, "must be an absolute path (starting with /)")
  .refine((p) => !p.split("/").includes(".."), "must not contain '..'");

/** Released Nextflow versions look like 24.10.5 (or -edge suffixes). */
export const ZNextflowVersion = z.string().regex(/^\d{2}\.\d{2}\.\d+(-edge)?$/, "must be a Nextflow release such as 24.10.5");

const base = {
  name: z.string().trim().min(1, "Give the compute environment a name.").max(100),
  workDir: ZAbsolutePath,
  nextflowVersion: ZNextflowVersion,
  env: ZEnvVars.default({}),
  maxRunSeconds: z.number().int().min(60, "at least 60 seconds").max(30 * 86_400, "at most 30 days").default(86_400),
};

export const ZLocalConfig = z.object({});
export const ZSlurmConfig = z.object({
  partition: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "partition names are letters, digits, '_', '.', '-'").optional(),
  sbatchOptions: z
    .array(
      z.string().superRefine((option, ctx) => {
        const problem = sbatchOptionProblem(option);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      }),
    )
    .max(20)
    .default([]),
});

const ZSecretPrefixAws = z.string().regex(/^[A-Za-z0-9/_+=.@-]{1,64}$/, "AWS secret name prefixes use letters, digits and /_+=.@-").default("lockstep-");
const ZSecretPrefixGoogle = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "Google secret id prefixes use letters, digits, '_' and '-'").default("lockstep-");

export const ZAwsBatchConfig = z.object({
  region: z.string().regex(/^[a-z]{2}(-gov)?-[a-z]+-\d$/, "must be an AWS region such as eu-west-1"),
  jobQueue: z.string().min(1).max(256),
  executionRoleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "must be an IAM role ARN"),
  headImage: z.string().min(1).max(512),
  secretPrefix: ZSecretPrefixAws,
  kmsKeyId: z.string().max(2048).optional(),
  credentialId: z.uuid({ error: "choose the AWS credentials to use" }),
});

export const ZGoogleBatchConfig = z.object({
  projectId: z.string().regex(/^[a-z][a-z0-9-]{4,28}[a-z0-9]$/, "must be a Google Cloud project id"),
  region: z.string().regex(/^[a-z]+-[a-z]+\d$/, "must be a Google Cloud region such as europe-west4"),
  serviceAccount: z.email({ error: "must be a service account email" }),
  /** The Nextflow head image; omitted: nextflow/nextflow:<the environment's Nextflow version>. */
  headImage: z.string().min(1).max(512).optional(),
  machineType: z.string().regex(/^[a-z0-9-]{1,63}$/, "must be a Compute Engine machine type such as e2-standard-2").optional(),
  secretPrefix: ZSecretPrefixGoogle,
  credentialId: z.uuid({ error: "choose the Google credentials to use" }),
});

const cloudBase = { ...base, workDir: z.string().trim().max(1024) };

export const ZComputeEnvInput = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("local"), config: ZLocalConfig.default({}) }),
  z.object({ ...base, kind: z.literal("slurm"), config: ZSlurmConfig.default({ sbatchOptions: [] }) }),
  z.object({ ...cloudBase, workDir: cloudBase.workDir.regex(/^s3:\/\/[a-z0-9.-]{3,63}(\/.*)?$/, "must be an s3:// bucket path"), kind: z.literal("aws-batch"), config: ZAwsBatchConfig }),
  z.object({ ...cloudBase, workDir: cloudBase.workDir.regex(/^gs:\/\/[a-z0-9._-]{3,222}(\/.*)?$/, "must be a gs:// bucket path"), kind: z.literal("google-batch"), config: ZGoogleBatchConfig }),
]);
export type TComputeEnvInput = z.infer<typeof ZComputeEnvInput>;

export const ZParams = z
  .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_.-]*$/, "param names are letters, digits, '_', '.', '-'"), z.union([z.string().max(4096), z.number(), z.boolean()]))
  .refine((p) => Object.keys(p).length <= 200, "at most 200 params");

export const ZRepository = z
  .string()
  .trim()
  .max(1024)
  .refine(
    (r) => /^https:\/\/[^\s]+$/.test(r) || /^\/[^\0]*$/.test(r),
    "must be an https:// repository URL or an absolute path to a directory with main.nf",
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
        ctx.addIssue({ code: "custom", message: `LOCKSTEP_LOCAL_PIPELINE_ROOTS ${problem}: entry ${i + 1} of a colon-separated list such as /srv/pipelines:/data/pipelines` });
        return;
      }
    }
  })
  .transform((value) => (value === undefined ? [] : value.split(":").map((entry) => entry.replace(/(.)\/+$/, "$1"))));

export const ZPipelineInput = z.object({
  name: z.string().trim().min(1, "Give the pipeline a name.").max(100),
  repository: ZRepository,
  revision: z.string().regex(/^[A-Za-z0-9_./-]{1,128}$/, "revisions are branch, tag or commit names").optional(),
  defaultParams: ZParams.default({}),
  defaultComputeEnvId: z.uuid().nullable().default(null),
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
  z.object({ mode: z.literal("selected"), names: z.array(ZSecretName).max(200) }),
  z.object({ mode: z.literal("none") }),
]);
export type TSecretSelection = z.infer<typeof ZSecretSelection>;

// ── Cloud credentials (the content of a sealed credential) ───────────────────────────────────

export const ZAwsCredential = z.union([
  z.strictObject({
    accessKeyId: z.string().regex(/^(AKIA|ASIA)[A-Z0-9]{12,124}$/, "accessKeyId must be an AWS access key id (AKIA…/ASIA…)"),
    secretAccessKey: z.string().min(16, "secretAccessKey looks too short").max(256),
    sessionToken: z.string().max(4096).optional(),
  }),
  z.strictObject({
    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, "roleArn must be an IAM role ARN"),
    externalId: z.string().max(1224).optional(),
  }),
]);

export const ZGoogleCredential = z
  .object({
    type: z.literal("service_account", { error: "a Google service-account key has \"type\": \"service_account\"" }),
    project_id: z.string().min(1),
    private_key: z.string().min(1),
    client_email: z.email(),
  })
  .passthrough();

/** Checks a plain credential's JSON; messages name the field and rule, never a value. */
export function credentialProblem(provider: "aws" | "google", text: string): string | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return "value: must be JSON";
  }
  const result = (provider === "aws" ? ZAwsCredential : ZGoogleCredential).safeParse(parsed);
  if (result.success) return null;
  const issue = result.error.issues[0]!;
  return `value: ${issue.path.length ? `${issue.path.join(".")}: ` : ""}${issue.message}`;
}
