import { check, index, pgEnum, pgTable, primaryKey, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";
import { sql } from "drizzle-orm";
import { id, timestamps } from "./_columns";
import { users } from "./users";

export const orgRole = pgEnum("org_role", ["owner", "member", "collaborator"]);
export const workspaceRole = pgEnum("workspace_role", ["owner", "admin", "maintainer", "launch", "connect", "view"]);
export const workspaceVisibility = pgEnum("workspace_visibility", ["private", "shared"]);

export const organizations = pgTable(
  "organizations",
  {
    id: id(),
    name: text().notNull(),
    slug: text().notNull(),
    description: text().notNull().default(""),
    ...timestamps,
  },
  (t) => [uniqueIndex("organizations_slug_key").on(t.slug)],
);

export const orgMembers = pgTable(
  "org_members",
  {
    orgId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: orgRole().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.orgId, t.userId] }), index("org_members_user_idx").on(t.userId)],
);

/**
 * An organization workspace (org_id set) or a user's personal workspace (personal_owner_id set),
 * never both.
 */
export const workspaces = pgTable(
  "workspaces",
  {
    id: id(),
    orgId: uuid().references(() => organizations.id, { onDelete: "cascade" }),
    personalOwnerId: uuid().references(() => users.id, { onDelete: "cascade" }),
    name: text().notNull(),
    slug: text().notNull(),
    description: text().notNull().default(""),
    visibility: workspaceVisibility().notNull().default("private"),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("workspaces_org_slug_key").on(t.orgId, t.slug).where(sql`${t.orgId} is not null`),
    uniqueIndex("workspaces_personal_owner_key").on(t.personalOwnerId).where(sql`${t.personalOwnerId} is not null`),
    check("workspaces_one_owner", sql`(${t.orgId} is null) <> (${t.personalOwnerId} is null)`),
  ],
);

export const workspaceParticipants = pgTable(
  "workspace_participants",
  {
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    role: workspaceRole().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.workspaceId, t.userId] }), index("workspace_participants_user_idx").on(t.userId)],
);

export type TOrganization = typeof organizations.$inferSelect;
export type TWorkspace = typeof workspaces.$inferSelect;
