export * from "./client";
export * from "./health";
export * as schema from "./schema";
export type { TUser, TAccessToken } from "./schema/users";
export type { TOrganization, TWorkspace, TInvitation } from "./schema/tenancy";
export type { TSecretRow, TAuditEvent } from "./schema/secrets";
export type {
  TRun,
  TComputeEnv,
  TComputeEnvRow,
  TPipeline,
  TRunSecretRef,
  TRunSecretVersion,
  TCleanupTarget,
  TRunRedaction,
  TNextflowSecretsRow,
} from "./schema/runs";
export type { TInstanceSettingsRow } from "./schema/instance";
export * from "./queries/system";
export * from "./queries/users";
export * from "./queries/tenancy";
export * from "./queries/secrets";
export * from "./queries/runs";
export * from "./queries/compute-envs";
export * from "./queries/pipelines";
export * from "./queries/run-logs";
export * from "./queries/secret-refs";
export * from "./queries/paging";
export * from "./queries/credentials";
export { and, asc, desc, eq, inArray, isNull, ne, or, sql } from "drizzle-orm";
export * from "./queries/instance";
export * from "./queries/invitations";
export * from "./queries/setup";
export * from "./queries/webhooks";
export { dbEnv, SETUP_CODE_MIN_LENGTH } from "./env";
export * from "./run-events";
