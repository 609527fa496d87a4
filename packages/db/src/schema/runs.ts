import { sql } from "drizzle-orm";
import {
  bigint,
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgSequence,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import {
  COMPUTE_ENV_KINDS,
  RUN_STATUSES,
  SECRETS_STATES,
  type TComputeEnvConfig,
  type TWithComputeEnvConfig,
} from "@lockstep/validators";
import { id, timestamps } from "./_columns";
import { users } from "./users";
import { workspaces } from "./tenancy";

export const computeEnvKind = pgEnum("compute_env_kind", COMPUTE_ENV_KINDS);

/**
 * Where runs execute. `config` holds the kind's own settings (validated by its zod schema); the
 * column's type is any kind's settings: `parseComputeEnv` (@lockstep/validators) narrows a row's
 * `kind` and `config` together, checking the stored settings against its kind's schema.
 */
export const computeEnvs = pgTable(
  "compute_envs",
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text().notNull(),
    kind: computeEnvKind().notNull(),
    /** Absolute directory: each run gets `<workDir>/<runId>/` (head job files, secrets, work/). */
    workDir: text().notNull(),
    nextflowVersion: text().notNull(),
    /** Non-secret environment variables for the Nextflow head process. */
    env: jsonb().$type<Record<string, string>>().notNull().default({}),
    maxRunSeconds: integer().notNull().default(86_400),
    config: jsonb().$type<TComputeEnvConfig>().notNull().default({}),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    /** "Check connection" (cloud kinds): when one was last asked for, and the worker's last answer. */
    checkRequestedAt: timestamp({ withTimezone: true }),
    checkedAt: timestamp({ withTimezone: true }),
    checkOk: boolean(),
    /** The check's outcome in words: the provider's error message on failure (never a secret value). */
    checkMessage: text(),
    /**
     * SSH kinds: the host key fingerprint the login node presented at the last check (`SHA256:…`).
     * The workspace confirms it into `config.hostKeySha256`; until then no connection authenticates.
     */
    checkHostKey: text(),
    ...timestamps,
  },
  (t) => [uniqueIndex("compute_envs_workspace_name_key").on(t.workspaceId, t.name)],
);

/** Shape of `pipelines.secret_needs` (validated by ZPipelineSecretNeeds in @lockstep/validators). */
export type TPipelineSecretNeedsRow =
  | {
      status: "known";
      needs: Array<{ name: string; uses: Array<"process" | "config" | "script">; files: string[] }>;
      optional: string[];
      problems: string[];
      fingerprint: string;
      files: number;
      scannedAt: string;
    }
  | { status: "unknown"; reason: string; scannedAt: string };

export type TNextflowSecretsRow = { fingerprint: string; version: string; checkedAt: string } & (
  { ok: true; names: string[]; directives: string[] } | { ok: false; reason: string }
);

export const pipelines = pgTable(
  "pipelines",
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** A repository URL or an absolute local path holding main.nf. */
    repository: text().notNull(),
    revision: text(),
    defaultParams: jsonb().$type<Record<string, string | number | boolean>>().notNull().default({}),
    defaultComputeEnvId: uuid().references(() => computeEnvs.id, { onDelete: "set null" }),
    /**
     * The secrets the pipeline's sources ask for, as found when it was last saved or launched
     * (names, where used, the source fingerprint; never file content). Null: never scanned.
     */
    secretNeeds: jsonb().$type<TPipelineSecretNeedsRow>(),
    /**
     * What the pinned Nextflow itself said of the pipeline's config (`nextflow config`, run by the
     * worker in its sandbox) for the sources with `fingerprint`: names only. Null: not checked yet.
     */
    nextflowSecrets: jsonb().$type<TNextflowSecretsRow>(),
    /** Names a run may go without (the pipeline setting; the sources can also say so in a comment). */
    optionalSecrets: jsonb().$type<string[]>().notNull().default([]),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    ...timestamps,
  },
  (t) => [uniqueIndex("pipelines_workspace_name_key").on(t.workspaceId, t.name)],
);

export const runStatus = pgEnum("run_status", RUN_STATUSES);
export const secretsState = pgEnum("secrets_state", SECRETS_STATES);

/**
 * Everything cleanup needs to find a run's copies, recorded when they are written. Cleanup and the
 * sweeper use only this, never the compute environment's current settings (which may have changed
 * or gone while the run held them). Locations and resource ids only, never a value.
 */
export type TCleanupTarget =
  | { provider: "nextflow-file"; runsDir: string; runDir: string; secretsDir: string; runUid: number | null }
  | { provider: "aws-secrets-manager"; region: string; prefix: string; credentialId: string; kmsKeyId?: string }
  | { provider: "google-secret-manager"; projectId: string; region: string; prefix: string; credentialId: string }
  /** A Nextflow store on a cluster, reached over SSH as the workspace's account (host key as confirmed at provision). */
  | {
      provider: "ssh-file";
      credentialId: string;
      host: string;
      port: number;
      hostKeySha256: string;
      launchDir: string;
      runDir: string;
      secretsDir: string;
    };

/** What the end-of-run redaction masked in the run's files: counts only, never a value. */
export type TRunRedaction = { occurrences: number; files: number; scannedFiles: number; at: string };

/**
 * Sandbox uids handed to runs (offset from the configured base). Cycling is safe: a partial unique
 * index keeps two unfinished runs from holding the same one.
 */
export const runUidSeq = pgSequence("run_uid_seq", { startWith: 0, minValue: 0, maxValue: 65_535, cycle: true });

/** Which secret reaches a run, and from where (names and ids only). */
export type TRunSecretRef = { name: string; source: "workspace" | "user"; secretId: string };

/**
 * Which version of each secret a run received, recorded by the worker as it writes the copies, and
 * a keyed fingerprint of the value (HMAC-SHA256 under the worker's fingerprint key, labelled with
 * that key's id): two runs' fingerprints under the same key are equal exactly when the values are.
 * The fingerprint never leaves the database except as an equality answer (docs/security.md).
 */
export type TRunSecretVersion = {
  secretId: string;
  name: string;
  source: "workspace" | "user";
  version: number;
  fingerprint: { kid: string; mac: string };
};

export const runs = pgTable(
  "runs",
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    pipelineId: uuid().references(() => pipelines.id, { onDelete: "set null" }),
    computeEnvId: uuid().references(() => computeEnvs.id, { onDelete: "set null" }),
    launchedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    status: runStatus().notNull().default("SUBMITTED"),
    secretsState: secretsState().notNull().default("NONE"),
    /** Snapshot at launch: the run keeps the pipeline/environment it was launched with. */
    pipelineName: text().notNull(),
    repository: text().notNull(),
    revision: text(),
    computeEnvName: text().notNull(),
    computeEnvKind: computeEnvKind().notNull(),
    params: jsonb().$type<Record<string, string | number | boolean>>().notNull().default({}),
    secretRefs: jsonb().$type<TRunSecretRef[]>().notNull().default([]),
    runDir: text(),
    /** Environment the provider set for the head process (paths, resource ids — never values). */
    headEnv: jsonb().$type<Record<string, string>>().notNull().default({}),
    /**
     * Where the head job fetches each secret from, for executors that hand secrets over themselves
     * (AWS Batch: the job definition's `secrets` name Secrets Manager ARNs). Never values.
     */
    secretBindings: jsonb().$type<Array<{ name: string; location: string }>>().notNull().default([]),
    /**
     * Every copy the provider wrote (store file path, ARN, resource name — never a value) and when:
     * what the run's deletion receipt lists.
     */
    secretCopies: jsonb().$type<Array<{ location: string; writtenAt: string }>>().notNull().default([]),
    /** What each secret the run received was, by version and keyed fingerprint (set at provision). */
    secretVersions: jsonb().$type<TRunSecretVersion[]>().notNull().default([]),
    /** Offset of the unprivileged uid the run's head and tasks run as (root workers), from runUidSeq. */
    runUid: integer(),
    cleanupTarget: jsonb().$type<TCleanupTarget>(),
    redaction: jsonb().$type<TRunRedaction>(),
    /** Local: the head process id; Slurm: the job id; cloud: the head job id. */
    executorRef: text(),
    exitCode: integer(),
    errorMessage: text(),
    cancelRequested: boolean().notNull().default(false),
    progress: jsonb()
      .$type<{ tasks?: number; succeeded?: number; failed?: number; running?: number }>()
      .notNull()
      .default({}),
    submittedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    provisionedAt: timestamp({ withTimezone: true }),
    startedAt: timestamp({ withTimezone: true }),
    finishedAt: timestamp({ withTimezone: true }),
    secretsDeletedAt: timestamp({ withTimezone: true }),
    deadlineAt: timestamp({ withTimezone: true }).notNull(),
    cleanupAttempts: integer().notNull().default(0),
    lastCleanupError: text(),
    /** Bytes of the log already read by the monitor. */
    logOffset: bigint({ mode: "number" }).notNull().default(0),
    updatedAt: timestamp({ withTimezone: true })
      .notNull()
      .defaultNow()
      .$onUpdate(() => new Date()),
  },
  (t) => [
    // Keyset pages of runs.list: (submitted_at, id) after the previous page's last run.
    index("runs_workspace_submitted_id_idx").on(t.workspaceId, t.submittedAt, t.id),
    index("runs_status_idx").on(t.status),
    index("runs_secrets_state_idx").on(t.secretsState),
    uniqueIndex("runs_live_uid_key")
      .on(t.runUid)
      .where(sql`${t.runUid} is not null and ${t.finishedAt} is null`),
    // The sweeper's overdue query, every 30 s: only unfinished runs, by deadline.
    index("runs_live_deadline_idx")
      .on(t.deadlineAt)
      .where(sql`${t.status} in ('SUBMITTED', 'RUNNING')`),
    // Which runs hold a compute environment (edits and deletes are refused while one does).
    index("runs_compute_env_idx").on(t.computeEnvId),
    // The same for a compute environment with a million finished runs: only runs that still hold one (runsHoldingComputeEnv).
    index("runs_holding_env_idx")
      .on(t.computeEnvId)
      .where(
        sql`${t.status} in ('SUBMITTED', 'RUNNING') or ${t.secretsState} in ('PENDING', 'PROVISIONED', 'DELETING')`,
      ),
    // The sweeper's pending-work query and the worker's gauges: the few runs whose secrets are not settled yet.
    index("runs_unsettled_secrets_idx")
      .on(t.secretsState)
      .where(sql`${t.secretsState} in ('PENDING', 'PROVISIONED', 'DELETING', 'CLEANUP_FAILED')`),
  ],
);

export type TRun = typeof runs.$inferSelect;
export type TComputeEnv = typeof computeEnvs.$inferSelect;
/** A compute environment row with `kind` and `config` narrowed together (what `parseComputeEnv` returns). */
export type TComputeEnvRow = TWithComputeEnvConfig<TComputeEnv>;
export type TPipeline = typeof pipelines.$inferSelect;

/**
 * The run's console output as the worker read it, with every occurrence of the run's secret
 * values masked before it is stored (the worker alone knows the values). The web reads only this.
 */
export const runLogLines = pgTable(
  "run_log_lines",
  {
    runId: uuid()
      .notNull()
      .references(() => runs.id, { onDelete: "cascade" }),
    seq: integer().notNull(),
    line: text().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("run_log_lines_run_seq_key").on(t.runId, t.seq)],
);
