import { aliasedTable, and, eq, gt, isNull, lte, sql } from "drizzle-orm";
import type { TDbOrTx, TTx } from "../client";
import { invitations, organizations, users, workspaces } from "../schema";
import { keysetAfter, keysetKey, keysetOrder, nameContains, type TKeyset, type TPage } from "./paging";

/** Invitation lists: oldest first for the invitee, by email for the org/workspace admin. */
const byCreated: TKeyset = { key: invitations.createdAt, id: invitations.id, kind: "timestamp", direction: "asc" };
const byEmail: TKeyset = { key: invitations.email, id: invitations.id, kind: "text", direction: "asc" };

function paged<T extends { limit: (n: number) => unknown }>(query: T, page: TPage | undefined) {
  return (page ? query.limit(page.limit) : query) as T;
}

type TOrgRole = NonNullable<(typeof invitations.$inferSelect)["orgRole"]>;
type TWorkspaceRole = NonNullable<(typeof invitations.$inferSelect)["workspaceRole"]>;

/** How long an invitation waits for an answer. */
export const INVITATION_TTL_DAYS = 14;

const live = () => and(eq(invitations.status, "pending"), gt(invitations.expiresAt, sql`now()`));

/**
 * Creates a pending invitation. A pending one for the same email and target that has expired is
 * closed first; a live one makes this return null (the caller answers CONFLICT).
 */
export async function insertInvitation(
  tx: TTx,
  input: { email: string; orgId: string; invitedBy: string } & (
    { workspaceId: string; workspaceRole: TWorkspaceRole } | { orgRole: TOrgRole }
  ),
) {
  const email = input.email.toLowerCase();
  const workspaceId = "workspaceId" in input ? input.workspaceId : null;
  await tx
    .update(invitations)
    .set({ status: "expired" })
    .where(
      and(
        eq(invitations.email, email),
        eq(invitations.orgId, input.orgId),
        workspaceId ? eq(invitations.workspaceId, workspaceId) : isNull(invitations.workspaceId),
        eq(invitations.status, "pending"),
        lte(invitations.expiresAt, sql`now()`),
      ),
    );
  const rows = await tx
    .insert(invitations)
    .values({
      email,
      orgId: input.orgId,
      workspaceId,
      orgRole: "orgRole" in input ? input.orgRole : null,
      workspaceRole: "workspaceRole" in input ? input.workspaceRole : null,
      invitedBy: input.invitedBy,
      expiresAt: sql`now() + make_interval(days => ${INVITATION_TTL_DAYS})`,
    })
    .onConflictDoNothing()
    .returning();
  return rows[0] ?? null;
}

const inviter = aliasedTable(users, "inviter");

/** An invitation with the names a person needs to decide: org, workspace, who invited. */
function describedInvitations(db: TDbOrTx) {
  return db
    .select({
      invitation: invitations,
      orgName: organizations.name,
      workspaceName: workspaces.name,
      inviterName: inviter.name,
      inviterEmail: inviter.email,
      createdKey: keysetKey(byCreated),
      emailKey: keysetKey(byEmail),
    })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.orgId))
    .leftJoin(workspaces, eq(workspaces.id, invitations.workspaceId))
    .leftJoin(inviter, eq(inviter.id, invitations.invitedBy));
}

export type TDescribedInvitation = Awaited<ReturnType<typeof listInvitationsForEmail>>[number];

/** The live invitations addressed to this email, oldest first. */
export async function listInvitationsForEmail(db: TDbOrTx, email: string, page?: TPage) {
  return paged(
    describedInvitations(db)
      .where(and(eq(invitations.email, email.toLowerCase()), live(), keysetAfter(byCreated, page?.after)))
      .orderBy(...keysetOrder(byCreated))
      .$dynamic(),
    page,
  );
}

/** Live invitations to the org itself (not to its workspaces). */
export async function listOrgInvitations(db: TDbOrTx, orgId: string, page?: TPage) {
  return paged(
    describedInvitations(db)
      .where(
        and(
          eq(invitations.orgId, orgId),
          isNull(invitations.workspaceId),
          live(),
          keysetAfter(byEmail, page?.after),
          nameContains(invitations.email, page?.search),
        ),
      )
      .orderBy(...keysetOrder(byEmail))
      .$dynamic(),
    page,
  );
}

export async function listWorkspaceInvitations(db: TDbOrTx, workspaceId: string, page?: TPage) {
  return paged(
    describedInvitations(db)
      .where(
        and(
          eq(invitations.workspaceId, workspaceId),
          live(),
          keysetAfter(byEmail, page?.after),
          nameContains(invitations.email, page?.search),
        ),
      )
      .orderBy(...keysetOrder(byEmail))
      .$dynamic(),
    page,
  );
}

export async function describeInvitation(db: TDbOrTx, id: string) {
  const [row] = await describedInvitations(db).where(eq(invitations.id, id));
  return row ?? null;
}

/** Whether this email has a live invitation (what sign-up by invitation asks). */
export async function hasLiveInvitation(db: TDbOrTx, email: string): Promise<boolean> {
  const [row] = await db
    .select({ id: invitations.id })
    .from(invitations)
    .where(and(eq(invitations.email, email.toLowerCase()), live()))
    .limit(1);
  return row !== undefined;
}

/** Locks a live invitation for an answer; null when it is not live (answered, revoked, expired, unknown). */
export async function lockLiveInvitation(tx: TTx, id: string) {
  const [row] = await tx
    .select()
    .from(invitations)
    .where(and(eq(invitations.id, id), live()))
    .for("update");
  return row ?? null;
}

export async function closeInvitation(tx: TTx, id: string, status: "accepted" | "declined" | "revoked") {
  const [row] = await tx
    .update(invitations)
    .set({ status, respondedAt: new Date() })
    .where(eq(invitations.id, id))
    .returning();
  return row!;
}
