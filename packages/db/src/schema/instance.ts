import { sql } from "drizzle-orm";
import { boolean, check, pgEnum, pgTable, timestamp, uuid } from "drizzle-orm/pg-core";
import { users } from "./users";

/** Who may create or edit compute environments that run on Lockstep's own machines (local, host Slurm). */
export const hostComputeEnvsPolicy = pgEnum("host_compute_envs_policy", ["instance-admins", "workspace-maintainers"]);

/**
 * Instance-wide settings: one row at most (the key is always true). No row means every default,
 * so a fresh instance needs no seeding and the defaults are the safe ones.
 */
export const instanceSettings = pgTable(
  "instance_settings",
  {
    id: boolean().primaryKey().default(true),
    hostComputeEnvs: hostComputeEnvsPolicy().notNull().default("instance-admins"),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedBy: uuid().references(() => users.id, { onDelete: "set null" }),
  },
  (t) => [check("instance_settings_single_row", sql`${t.id}`)],
);

export type TInstanceSettingsRow = typeof instanceSettings.$inferSelect;
