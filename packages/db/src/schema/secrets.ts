import {
  bigserial,
  check,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { id } from "./_columns";
import { users } from "./users";
import { workspaces } from "./tenancy";
import { runs } from "./runs";

export const secretScope = pgEnum("secret_scope", ["workspace", "user"]);

/**
 * Pipeline secrets. `sealed` is an HPKE envelope (lsv1.<kid>.<enc>.<ct>) bound to
 * (scope, owner id, name): only the worker's private keyring opens it, and only for this row's
 * binding. No query returns it to the web tier's API outputs.
 */
export const secrets = pgTable(
  "secrets",
  {
    id: id(),
    scope: secretScope().notNull(),
    workspaceId: uuid().references(() => workspaces.id, { onDelete: "cascade" }),
    userId: uuid().references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    sealed: text().notNull(),
    keyId: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    lastUsedAt: timestamp({ withTimezone: true }),
    lastUsedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    /** The run that last received this secret (set by the worker when it writes the run's copies). */
    lastUsedRunId: uuid().references(() => runs.id, { onDelete: "set null" }),
    /** The value's version: 1 when created, +1 on every overwrite (a re-seal under a new key keeps it). */
    version: integer().notNull().default(1),
    /**
     * The value rule the stored value breaks, found by the worker after it opened the value (a
     * value sealed in a client never passes the server's checks in plaintext). Null = fine or not
     * yet checked; valueCheckedAt says which. The rule's words only, never the value.
     */
    valueProblem: text(),
    valueCheckedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex("secrets_workspace_name_key")
      .on(t.workspaceId, t.name)
      .where(sql`${t.scope} = 'workspace'`),
    uniqueIndex("secrets_user_name_key")
      .on(t.userId, t.name)
      .where(sql`${t.scope} = 'user'`),
    index("secrets_key_id_idx").on(t.keyId),
    // The sweeper's values-to-check query, every 30 s: only values no worker has checked, oldest write first.
    index("secrets_unchecked_idx")
      .on(t.updatedAt)
      .where(sql`${t.valueCheckedAt} is null`),
    // Keyset pages of a list sorted by last write (secrets.list sort "updated").
    index("secrets_workspace_updated_idx")
      .on(t.workspaceId, t.updatedAt, t.id)
      .where(sql`${t.scope} = 'workspace'`),
    index("secrets_user_updated_idx")
      .on(t.userId, t.updatedAt, t.id)
      .where(sql`${t.scope} = 'user'`),
    check(
      "secrets_owner_matches_scope",
      sql`(${t.scope} = 'workspace' and ${t.workspaceId} is not null and ${t.userId} is null) or (${t.scope} = 'user' and ${t.userId} is not null and ${t.workspaceId} is null)`,
    ),
  ],
);

export type TSecretRow = typeof secrets.$inferSelect;

/**
 * A secret's write history: which version, who wrote it, when, and how (form, import, API). No
 * value and no ciphertext: an overwrite replaces `secrets.sealed` in place, so an old value is
 * gone from the table the moment the new one is written. Deleted with the secret.
 */
export const secretVersions = pgTable(
  "secret_versions",
  {
    secretId: uuid()
      .notNull()
      .references(() => secrets.id, { onDelete: "cascade" }),
    version: integer().notNull(),
    writtenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    writtenBy: uuid().references(() => users.id, { onDelete: "set null" }),
    /** "created" or "overwritten", and "import" when it came with an .env import. */
    action: text().notNull(),
    via: text(),
  },
  (t) => [uniqueIndex("secret_versions_secret_version_key").on(t.secretId, t.version)],
);

/**
 * Append-only audit trail: who did what to which secret (or run), from where, when. Never a
 * value or a ciphertext: `detail` holds names, counts and reasons only.
 */
export const auditEvents = pgTable(
  "audit_events",
  {
    seq: bigserial({ mode: "number" }).primaryKey(),
    id: uuid().notNull().defaultRandom(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    actorId: uuid().references(() => users.id, { onDelete: "set null" }),
    actorEmail: text(),
    ip: text(),
    userAgent: text(),
    action: text().notNull(),
    workspaceId: uuid().references(() => workspaces.id, { onDelete: "cascade" }),
    /** For user-scope events: whose secrets (only that user reads them). */
    subjectUserId: uuid().references(() => users.id, { onDelete: "cascade" }),
    targetType: text().notNull(),
    targetId: text(),
    targetName: text(),
    runId: uuid(),
    detail: jsonb().$type<Record<string, string | number | boolean | string[] | null>>().notNull().default({}),
  },
  (t) => [
    index("audit_events_workspace_seq_idx").on(t.workspaceId, t.seq),
    index("audit_events_subject_seq_idx").on(t.subjectUserId, t.seq),
  ],
);

export type TAuditEvent = typeof auditEvents.$inferSelect;

export const credentialProvider = pgEnum("credential_provider", ["aws", "google", "ssh"]);

/**
 * Credentials a workspace's compute environments use (an AWS key pair or role, a Google
 * service-account key, a cluster account's SSH key). Sealed and write-only exactly like secrets (binding scope "credential",
 * owner = workspace, name); only the worker opens them.
 */
export const credentials = pgTable(
  "credentials",
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    name: text().notNull(),
    provider: credentialProvider().notNull(),
    sealed: text().notNull(),
    keyId: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
  },
  (t) => [uniqueIndex("credentials_workspace_name_key").on(t.workspaceId, t.name)],
);

export type TCredentialRow = typeof credentials.$inferSelect;
