import { boolean, index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { id, timestamps } from "./_columns";

export const users = pgTable(
  "users",
  {
    id: id(),
    /** Stored lower-cased; uniqueness is on lower(email) so case variants cannot register twice. */
    email: text().notNull(),
    name: text().notNull(),
    /** argon2id PHC string; null for accounts that only sign in through OIDC. */
    passwordHash: text(),
    isInstanceAdmin: boolean().notNull().default(false),
    /** Bumped by "sign out everywhere": sessions carrying an older version are rejected. */
    sessionVersion: integer().notNull().default(0),
    /**
     * Set by an instance admin: the account cannot sign in, and its sessions and access tokens are
     * refused on their next request. Null = active.
     */
    disabledAt: timestamp({ withTimezone: true }),
    ...timestamps,
  },
  (t) => [uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`)],
);

export type TUser = typeof users.$inferSelect;

/** Links a user to an identity at an external OIDC provider. */
export const oidcAccounts = pgTable(
  "oidc_accounts",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    provider: text().notNull(),
    subject: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [uniqueIndex("oidc_accounts_provider_subject_key").on(t.provider, t.subject)],
);

/** Personal access tokens. Only a SHA-256 of the token is stored; the token is shown once. */
export const accessTokens = pgTable(
  "access_tokens",
  {
    id: id(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    /** The first characters of the token, shown in lists so a user can tell tokens apart. */
    prefix: text().notNull(),
    tokenHash: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** What the token may do (`read`, `write`, `launch`, `admin`; see @lockstep/auth scopes). */
    scopes: text().array().notNull(),
    lastUsedAt: timestamp({ withTimezone: true }),
    /** The client address of the last use (the socket's, or the trusted proxy's header). */
    lastUsedIp: text(),
    /** Every token expires; the instance caps the lifetime (LOCKSTEP_TOKEN_MAX_DAYS). */
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex("access_tokens_hash_key").on(t.tokenHash),
    index("access_tokens_user_created_idx").on(t.userId, t.createdAt, t.id),
  ],
);

export type TAccessToken = typeof accessTokens.$inferSelect;
