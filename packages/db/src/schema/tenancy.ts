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
    uniqueIndex("workspaces_org_slug_key")
      .on(t.orgId, t.slug)
      .where(sql`${t.orgId} is not null`),
    uniqueIndex("workspaces_personal_owner_key")
      .on(t.personalOwnerId)
      .where(sql`${t.personalOwnerId} is not null`),
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

export const invitationStatus = pgEnum("invitation_status", ["pending", "accepted", "declined", "revoked", "expired"]);

/**
 * An invitation to join an organization (workspace_id null, org_role set) or one of its
 * workspaces (workspace_id and workspace_role set), addressed to an email whether or not an
 * account uses it. Membership exists only once the invitee accepts. At most one pending
 * invitation per email and org (or workspace); a pending one past expires_at counts as expired.
 */
export const invitations = pgTable(
  "invitations",
  {
    id: id(),
    /** Stored lower-cased, as users.email. */
    email: text().notNull(),
    orgId: uuid()
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    workspaceId: uuid().references(() => workspaces.id, { onDelete: "cascade" }),
    orgRole: orgRole(),
    workspaceRole: workspaceRole(),
    status: invitationStatus().notNull().default("pending"),
    invitedBy: uuid().references(() => users.id, { onDelete: "set null" }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    respondedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    uniqueIndex("invitations_pending_org_key")
      .on(t.orgId, t.email)
      .where(sql`${t.workspaceId} is null and ${t.status} = 'pending'`),
    uniqueIndex("invitations_pending_workspace_key")
      .on(t.workspaceId, t.email)
      .where(sql`${t.workspaceId} is not null and ${t.status} = 'pending'`),
    index("invitations_email_idx").on(t.email, t.status),
    check(
      "invitations_one_target",
      sql`(${t.workspaceId} is null and ${t.orgRole} is not null and ${t.workspaceRole} is null) or (${t.workspaceId} is not null and ${t.workspaceRole} is not null and ${t.orgRole} is null)`,
    ),
  ],
);

export type TInvitation = typeof invitations.$inferSelect;
