import { boolean, pgTable, text, uniqueIndex } from "drizzle-orm/pg-core";
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
    ...timestamps,
  },
  (t) => [uniqueIndex("users_email_lower_key").on(sql`lower(${t.email})`)],
);

export type TUser = typeof users.$inferSelect;
