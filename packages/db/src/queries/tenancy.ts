import { and, asc, eq, or, sql, type Placeholder } from "drizzle-orm";
import type { TDatabase, TDbOrTx } from "../client";
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
