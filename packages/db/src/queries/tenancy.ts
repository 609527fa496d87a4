import { slugify } from "@lockstep/validators";
import { and, asc, eq, ne, or, sql, type Placeholder } from "drizzle-orm";
import type { TDatabase, TDbOrTx, TTx } from "../client";
import { organizations, orgMembers, users, workspaceParticipants, workspaces } from "../schema";
import { keysetAfter, keysetKey, keysetOrder, nameContains, type TKeyset, type TPage } from "./paging";
import { prepared, slot } from "./prepared";

/** People lists: by name, the user id breaking ties (two people may share a name). */
const byPerson: TKeyset = { key: users.name, id: users.id, kind: "text", direction: "asc" };

type TOrgRole = (typeof orgMembers.$inferSelect)["role"];
type TWorkspaceRole = (typeof workspaceParticipants.$inferSelect)["role"];

/** What decides a user's access to a workspace; the decision itself lives in @lockstep/auth. */
export type TWorkspaceAccessFacts = {
  workspace: typeof workspaces.$inferSelect;
  orgName: string | null;
  participantRole: TWorkspaceRole | null;
  orgRole: TOrgRole | null;
};

/** Workspaces joined with the user's participation and org membership (the access facts). */
function workspaceFacts(db: TDbOrTx, userId: string | Placeholder) {
  return db
    .select({
      workspace: workspaces,
      orgName: organizations.name,
      participantRole: workspaceParticipants.role,
      orgRole: orgMembers.role,
    })
    .from(workspaces)
    .leftJoin(organizations, eq(organizations.id, workspaces.orgId))
    .leftJoin(
      workspaceParticipants,
      and(eq(workspaceParticipants.workspaceId, workspaces.id), eq(workspaceParticipants.userId, userId)),
    )
    .leftJoin(orgMembers, and(eq(orgMembers.orgId, workspaces.orgId), eq(orgMembers.userId, userId)));
}

export async function workspaceAccessFacts(
  db: TDatabase,
  userId: string,
  workspaceId: string,
): Promise<TWorkspaceAccessFacts | null> {
  // Every workspace procedure sends this: built once (prepared.ts).
  const [row] = await prepared(db, "workspace-access-facts", (db, name) =>
    workspaceFacts(db, slot("userId"))
      .where(eq(workspaces.id, slot("workspaceId")))
      .prepare(name),
  ).execute({ userId, workspaceId });
  return row ?? null;
}

/** Every workspace the user may see, with the facts to compute their role in each. */
export async function visibleWorkspaceFacts(
  db: TDatabase,
  userId: string,
  orgId?: string,
): Promise<TWorkspaceAccessFacts[]> {
  return workspaceFacts(db, userId)
    .where(
      and(
        orgId ? eq(workspaces.orgId, orgId) : undefined,
        or(
          eq(workspaces.personalOwnerId, userId),
          sql`${workspaces.orgId} is not null and (${workspaceParticipants.userId} is not null or ${orgMembers.role} = 'owner' or (${orgMembers.role} = 'member' and ${workspaces.visibility} = 'shared'))`,
        ),
      ),
    )
    .orderBy(sql`${workspaces.personalOwnerId} is null`, asc(organizations.name), asc(workspaces.name));
}

export async function orgMembership(db: TDatabase, userId: string, orgId: string) {
  const [row] = await db
    .select({ org: organizations, role: orgMembers.role })
    .from(organizations)
    .innerJoin(orgMembers, and(eq(orgMembers.orgId, organizations.id), eq(orgMembers.userId, userId)))
    .where(eq(organizations.id, orgId));
  return row ?? null;
}

export async function listOrgsOf(db: TDatabase, userId: string) {
  return db
    .select({ org: organizations, role: orgMembers.role })
    .from(organizations)
    .innerJoin(orgMembers, and(eq(orgMembers.orgId, organizations.id), eq(orgMembers.userId, userId)))
    .orderBy(asc(organizations.name));
}

export async function listOrgMembers(db: TDatabase, orgId: string, page?: TPage) {
  const query = db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: orgMembers.role,
      since: orgMembers.createdAt,
      cursorKey: keysetKey(byPerson),
    })
    .from(orgMembers)
    .innerJoin(users, eq(users.id, orgMembers.userId))
    .where(and(eq(orgMembers.orgId, orgId), keysetAfter(byPerson, page?.after), personMatches(page?.search)))
    .orderBy(...keysetOrder(byPerson));
  return page ? query.limit(page.limit) : query;
}

function personMatches(search: string | null | undefined) {
  return search ? or(nameContains(users.name, search), nameContains(users.email, search)) : undefined;
}

export async function listWorkspaceParticipants(db: TDatabase, workspaceId: string, page?: TPage) {
  const query = db
    .select({
      userId: users.id,
      email: users.email,
      name: users.name,
      role: workspaceParticipants.role,
      since: workspaceParticipants.createdAt,
      cursorKey: keysetKey(byPerson),
    })
    .from(workspaceParticipants)
    .innerJoin(users, eq(users.id, workspaceParticipants.userId))
    .where(
      and(
        eq(workspaceParticipants.workspaceId, workspaceId),
        keysetAfter(byPerson, page?.after),
        personMatches(page?.search),
      ),
    )
    .orderBy(...keysetOrder(byPerson));
  return page ? query.limit(page.limit) : query;
}

// ── Organizations and their members ─────────────────────────────────────────────────────────

/**
 * A name as a creation would take it: its spelling (any case) or the short name it derives. A
 * sibling holding either makes the name taken.
 */
function sameNameAs(table: typeof organizations | typeof workspaces, name: string) {
  return or(sql`lower(${table.name}) = lower(${name})`, eq(table.slug, slugify(name)));
}

export async function insertOrganization(db: TDbOrTx, values: typeof organizations.$inferInsert) {
  const [org] = await db.insert(organizations).values(values).returning();
  return org!;
}

/** Whether an organization other than `exceptId` goes by `name` (spelling or short name). */
export async function organizationNameTaken(db: TDbOrTx, name: string, exceptId: string): Promise<boolean> {
  const [taken] = await db
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(ne(organizations.id, exceptId), sameNameAs(organizations, name)))
    .limit(1);
  return taken !== undefined;
}

export async function updateOrganizationRow(
  db: TDbOrTx,
  orgId: string,
  set: Partial<typeof organizations.$inferInsert>,
) {
  const [org] = await db.update(organizations).set(set).where(eq(organizations.id, orgId)).returning();
  return org!;
}

export async function deleteOrganizationRow(db: TDbOrTx, orgId: string) {
  await db.delete(organizations).where(eq(organizations.id, orgId));
}

/** Serialises membership changes per org (the last-owner rule, accepting an invitation) on its row. */
export async function lockOrganization(tx: TTx, orgId: string) {
  await tx.execute(sql`select 1 from ${organizations} where ${organizations.id} = ${orgId} for update`);
}

export async function countOrgOwners(db: TDbOrTx, orgId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(orgMembers)
    .where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.role, "owner")));
  return row?.n ?? 0;
}

export async function getOrgMember(db: TDbOrTx, orgId: string, userId: string) {
  const [row] = await db
    .select()
    .from(orgMembers)
    .where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.userId, userId)));
  return row ?? null;
}

export async function insertOrgMember(db: TDbOrTx, values: typeof orgMembers.$inferInsert) {
  await db.insert(orgMembers).values(values);
}

/** Adds the member unless they already are one (their role stays as it is). */
export async function insertOrgMemberIfAbsent(db: TDbOrTx, values: typeof orgMembers.$inferInsert) {
  await db.insert(orgMembers).values(values).onConflictDoNothing();
}

export async function setOrgMemberRole(db: TDbOrTx, orgId: string, userId: string, role: TOrgRole) {
  await db
    .update(orgMembers)
    .set({ role })
    .where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.userId, userId)));
}

export async function deleteOrgMember(db: TDbOrTx, orgId: string, userId: string) {
  await db.delete(orgMembers).where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.userId, userId)));
}

/** Ends the user's participation in every workspace of the org. */
export async function deleteOrgParticipations(db: TDbOrTx, orgId: string, userId: string) {
  await db.execute(
    sql`delete from ${workspaceParticipants} where ${workspaceParticipants.userId} = ${userId} and ${workspaceParticipants.workspaceId} in (select id from ${workspaces} where ${workspaces.orgId} = ${orgId})`,
  );
}

// ── Workspaces and their participants ───────────────────────────────────────────────────────

export async function insertWorkspace(db: TDbOrTx, values: typeof workspaces.$inferInsert) {
  const [ws] = await db.insert(workspaces).values(values).returning();
  return ws!;
}

/** Whether a workspace of the org other than `exceptId` goes by `name` (spelling or short name). */
export async function workspaceNameTaken(db: TDbOrTx, orgId: string, name: string, exceptId: string): Promise<boolean> {
  const [taken] = await db
    .select({ id: workspaces.id })
    .from(workspaces)
    .where(and(eq(workspaces.orgId, orgId), ne(workspaces.id, exceptId), sameNameAs(workspaces, name)))
    .limit(1);
  return taken !== undefined;
}

export async function updateWorkspaceRow(
  db: TDbOrTx,
  workspaceId: string,
  set: Partial<typeof workspaces.$inferInsert>,
) {
  const [ws] = await db.update(workspaces).set(set).where(eq(workspaces.id, workspaceId)).returning();
  return ws!;
}

export async function deleteWorkspaceRow(db: TDbOrTx, workspaceId: string) {
  await db.delete(workspaces).where(eq(workspaces.id, workspaceId));
}

export async function getParticipantRole(
  db: TDbOrTx,
  workspaceId: string,
  userId: string,
): Promise<TWorkspaceRole | null> {
  const [row] = await db
    .select({ role: workspaceParticipants.role })
    .from(workspaceParticipants)
    .where(and(eq(workspaceParticipants.workspaceId, workspaceId), eq(workspaceParticipants.userId, userId)));
  return row?.role ?? null;
}

export async function insertParticipant(db: TDbOrTx, values: typeof workspaceParticipants.$inferInsert) {
  await db.insert(workspaceParticipants).values(values);
}

/** Adds the participant unless they already are one (their role stays as it is). */
export async function insertParticipantIfAbsent(db: TDbOrTx, values: typeof workspaceParticipants.$inferInsert) {
  await db.insert(workspaceParticipants).values(values).onConflictDoNothing();
}

export async function setParticipantRole(db: TDbOrTx, workspaceId: string, userId: string, role: TWorkspaceRole) {
  await db
    .update(workspaceParticipants)
    .set({ role })
    .where(and(eq(workspaceParticipants.workspaceId, workspaceId), eq(workspaceParticipants.userId, userId)));
}

export async function deleteParticipant(db: TDbOrTx, workspaceId: string, userId: string) {
  await db
    .delete(workspaceParticipants)
    .where(and(eq(workspaceParticipants.workspaceId, workspaceId), eq(workspaceParticipants.userId, userId)));
}
