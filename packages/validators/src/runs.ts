import { z } from "zod";
import { ZSecretName } from "./secrets";

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Variables Lockstep sets itself: a compute environment may not override how secrets arrive. */
const RESERVED_ENV = /^(NXF_SECRETS_FILE|NXF_ENABLE_SECRETS|NXF_GOOGLE_SECRET_VARS|NXF_HOME|NXF_OFFLINE)$/;

export const ZEnvVars = z
  .record(z.string(), z.string().max(4096, "environment values must be at most 4,096 characters"))
  .superRefine((vars, ctx) => {
    for (const name of Object.keys(vars)) {
      if (!ENV_NAME.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `${name} is not a valid environment variable name` });
      else if (RESERVED_ENV.test(name)) ctx.addIssue({ code: "custom", path: [name], message: `${name} is set by Lockstep and cannot be overridden` });
    }
    if (Object.keys(vars).length > 100) ctx.addIssue({ code: "custom", message: "at most 100 environment variables" });
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

const SBATCH_OPTION = /^--[a-z][a-z-]*(=[A-Za-z0-9_.,:=@%/+-]+)?$/;

export const ZLocalConfig = z.object({});
export const ZSlurmConfig = z.object({
  partition: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, "partition names are letters, digits, '_', '.', '-'").optional(),
  sbatchOptions: z
    .array(z.string().regex(SBATCH_OPTION, "each option must look like --name or --name=value (no spaces or shell characters)"))
    .max(20)
    .default([]),
});

export const ZComputeEnvInput = z.discriminatedUnion("kind", [
  z.object({ ...base, kind: z.literal("local"), config: ZLocalConfig.default({}) }),
  z.object({ ...base, kind: z.literal("slurm"), config: ZSlurmConfig.default({ sbatchOptions: [] }) }),
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

export const ZPipelineInput = z.object({
  name: z.string().trim().min(1, "Give the pipeline a name.").max(100),
  repository: ZRepository,
  revision: z.string().regex(/^[A-Za-z0-9_./-]{1,128}$/, "revisions are branch, tag or commit names").optional(),
  defaultParams: ZParams.default({}),
  defaultComputeEnvId: z.uuid().nullable().default(null),
});

export const ZSecretSelection = z.discriminatedUnion("mode", [
  z.object({ mode: z.literal("all") }),
  z.object({ mode: z.literal("selected"), names: z.array(ZSecretName).max(200) }),
  z.object({ mode: z.literal("none") }),
]);
export type TSecretSelection = z.infer<typeof ZSecretSelection>;
