import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { TAppRouter } from "@lockstep/api";

export type TComputeEnv = inferRouterOutputs<TAppRouter>["computeEnvs"]["get"];
export type TComputeEnvInput = inferRouterInputs<TAppRouter>["computeEnvs"]["create"]["computeEnv"];
export type TCredential = inferRouterOutputs<TAppRouter>["credentials"]["list"][number];
export type TKind = TComputeEnv["kind"];
export type TCloudKind = Extract<TKind, "aws-batch" | "google-batch">;

/** The release installed with Lockstep (scripts resolve it from Maven Central). */
export const DEFAULT_NEXTFLOW_VERSION = "24.10.8";
/** The server's default too; shown in the field so nobody has to guess it. */
export const DEFAULT_SECRET_PREFIX = "lockstep-";

export const KIND_LABELS: Record<TKind, string> = {
  local: "Local",
  slurm: "Slurm",
  "aws-batch": "AWS Batch",
  "google-batch": "Google Batch",
};

/** The credentials a cloud kind needs, by the provider the credentials page stores them under. */
export const CLOUD_PROVIDER = { "aws-batch": "aws", "google-batch": "google" } as const satisfies Record<
  TCloudKind,
  TCredential["provider"]
>;
export const PROVIDER_LABEL: Record<TCredential["provider"], string> = { aws: "AWS", google: "Google Cloud" };

export const isCloudKind = (kind: TKind): kind is TCloudKind => kind === "aws-batch" || kind === "google-batch";

/** A string setting of `ce.config`, or "" (the output types config loosely: it depends on the kind). */
export function configText(ce: TComputeEnv | undefined, key: string): string {
  const value = ce?.config[key];
  return typeof value === "string" ? value : "";
}

export function configList(ce: TComputeEnv | undefined, key: string): string[] {
  const value = ce?.config[key];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}
