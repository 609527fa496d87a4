import { sql } from "drizzle-orm";
import { boolean, check, pgEnum, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/** Who may create or edit compute environments that run on Lockstep's own machines (local, host Slurm). */
export const hostComputeEnvsPolicy = pgEnum("host_compute_envs_policy", ["instance-admins", "workspace-maintainers"]);

/** Who may create an account (by password or OIDC): anyone, only an email with a pending invitation, or nobody. */
export const signupPolicy = pgEnum("signup_policy", ["open", "invite", "off"]);

/**
 * Instance-wide settings: one row at most (the key is always true). No row means every default,
 * so a fresh instance needs no seeding and the defaults are the safe ones.
 */
export const instanceSettings = pgTable(
  "instance_settings",
  {
    id: boolean().primaryKey().default(true),
    hostComputeEnvs: hostComputeEnvsPolicy().notNull().default("instance-admins"),
    /** Null = LOCKSTEP_SIGNUP (the environment) decides; once saved here, this wins. */
    signup: signupPolicy(),
    /**
     * Webhooks: deliveries go to https URLs on public addresses only. An instance admin may allow
     * plain http and exempt networks (CIDRs) from the private-address block, e.g. a receiver on
     * the same host in tests. Both off by default.
     */
    webhooksAllowHttp: boolean().notNull().default(false),
    webhooksAllowedNetworks: text()
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
  },
  (t) => [check("instance_settings_single_row", sql`${t.id}`)],
);

export type TInstanceSettingsRow = typeof instanceSettings.$inferSelect;

/**
 * The one-time setup code of an instance without an admin: only its SHA-256 is kept. The account
 * that signs up with the code becomes the instance admin and the row is deleted in the same
 * transaction. One row at most; a new start while no admin exists replaces it.
 */
export const instanceSetup = pgTable(
  "instance_setup",
  {
    id: boolean().primaryKey().default(true),
    codeHash: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check("instance_setup_single_row", sql`${t.id}`)],
);
