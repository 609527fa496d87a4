import { z } from "zod";
import { SSH_CONFIG_SCHEMAS, ZAwsBatchConfig, ZGoogleBatchConfig, ZLocalConfig, type TSshComputeKind } from "./runs";

/** Every compute environment kind, in the order of the database enum (packages/db schema `compute_env_kind`). */
export const COMPUTE_ENV_KINDS = [
  "local",
  "slurm",
  "aws-batch",
  "google-batch",
  "ssh-slurm",
  "ssh-lsf",
  "ssh-pbspro",
  "ssh-sge",
] as const;
export type TComputeEnvKind = (typeof COMPUTE_ENV_KINDS)[number];

/**
 * Host Slurm's stored settings: their shape only. The option rules are applied to a stored row by
 * `headEnvProblems` (head-env.ts) before a run starts, which names each refused option: a row
 * saved under older rules must reach that check, not fail earlier on a rule it was never held to.
 */
export const ZStoredSlurmConfig = z.object({
  partition: z.string().optional(),
  sbatchOptions: z.array(z.string()).default([]),
});

/**
 * What a stored `compute_envs.config` must be for its row's `kind`. Cloud and SSH kinds are held
 * to their full input schema (the worker always parsed them so before opening credentials);
 * local has no settings; host Slurm is held to its shape (see ZStoredSlurmConfig).
 */
export const STORED_COMPUTE_ENV_CONFIGS = {
  local: ZLocalConfig,
  slurm: ZStoredSlurmConfig,
  "aws-batch": ZAwsBatchConfig,
  "google-batch": ZGoogleBatchConfig,
  ...SSH_CONFIG_SCHEMAS,
} as const satisfies Record<TComputeEnvKind, z.ZodType>;

/** The stored settings of one kind (defaults filled in). */
export type TComputeEnvConfigOf<K extends TComputeEnvKind> = z.output<(typeof STORED_COMPUTE_ENV_CONFIGS)[K]>;

/** A kind with its own settings: narrowing on `kind` types `config`. */
export type TComputeEnvKindConfig = {
  [K in TComputeEnvKind]: { kind: K; config: TComputeEnvConfigOf<K> };
}[TComputeEnvKind];

/** Any kind's stored settings (the type of the `compute_envs.config` column). */
export type TComputeEnvConfig = TComputeEnvKindConfig["config"];

/** The stored settings of the SSH cluster kinds (one schema for the four schedulers). */
export type TSshClusterConfig = TComputeEnvConfigOf<TSshComputeKind>;

/** A compute environment row whose `kind` and `config` are narrowed together. */
export type TWithComputeEnvConfig<R extends { kind: TComputeEnvKind }> = Omit<R, "kind" | "config"> &
  TComputeEnvKindConfig;

/** A stored compute environment whose settings do not fit its kind: names the environment and each field, never a value. */
export class ComputeEnvConfigError extends Error {
  override readonly name = "ComputeEnvConfigError";
  constructor(
    readonly computeEnv: { id: string; name: string; kind: string },
    readonly fields: Array<{ field: string; message: string }>,
  ) {
    super(
      `compute environment "${computeEnv.name}" (${computeEnv.id}) has stored ${computeEnv.kind} settings that do not fit that kind: ${fields
        .map((f) => `${f.field}: ${f.message}`)
        .join("; ")}`,
    );
  }
}

/**
 * Narrows a stored compute environment once, where it leaves the database: its `config` is parsed
 * with the schema of its `kind` (defaults filled in, unknown keys dropped). A row that does not fit
 * throws ComputeEnvConfigError naming the environment and the field (`config.port`), so a corrupted
 * row fails here with its name rather than deep in an executor.
 */
export function parseComputeEnv<R extends { id: string; name: string; kind: TComputeEnvKind; config: unknown }>(
  row: R,
): TWithComputeEnvConfig<R> {
  const schema: z.ZodType | undefined = Object.hasOwn(STORED_COMPUTE_ENV_CONFIGS, row.kind)
    ? STORED_COMPUTE_ENV_CONFIGS[row.kind]
    : undefined;
  if (!schema) throw new ComputeEnvConfigError(row, [{ field: "kind", message: "Not a compute environment kind." }]);
  const parsed = schema.safeParse(row.config);
  if (!parsed.success) {
    throw new ComputeEnvConfigError(
      row,
      parsed.error.issues.map((issue) => ({
        field: ["config", ...issue.path.map(String)].join("."),
        message: issue.message,
      })),
    );
  }
  // The schema chosen by `row.kind` produced this config: the pair is one member of the union.
  return { ...row, config: parsed.data } as TWithComputeEnvConfig<R>;
}

/** The stored settings of an SSH cluster environment, or null for the other kinds. */
export function sshSettingsOf(ce: TComputeEnvKindConfig): TSshClusterConfig | null {
  switch (ce.kind) {
    case "ssh-slurm":
    case "ssh-lsf":
    case "ssh-pbspro":
    case "ssh-sge":
      return ce.config;
    default:
      return null;
  }
}

/** Just the kind and its settings of a narrowed row, still paired (to build an answer without the row's other fields). */
export function kindConfigOf(ce: TComputeEnvKindConfig): TComputeEnvKindConfig {
  switch (ce.kind) {
    case "local":
      return { kind: ce.kind, config: ce.config };
    case "slurm":
      return { kind: ce.kind, config: ce.config };
    case "aws-batch":
      return { kind: ce.kind, config: ce.config };
    case "google-batch":
      return { kind: ce.kind, config: ce.config };
    case "ssh-slurm":
    case "ssh-lsf":
    case "ssh-pbspro":
    case "ssh-sge":
      return { kind: ce.kind, config: ce.config };
  }
}
