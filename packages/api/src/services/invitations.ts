import { orgRoles, type TOrgRole, type TWorkspaceRole } from "@lockstep/auth";
import {
  closeInvitation,
  describeInvitation,
  findUserByEmail,
  getOrgMember,
  getParticipantRole,
  insertInvitation,
  insertOrgMember,
  insertOrgMemberIfAbsent,
  insertParticipantIfAbsent,
  lockLiveInvitation,
  lockOrganization,
  recordAudit,
  setOrgMemberRole,
  type TDatabase,
  type TDbOrTx,
  type TDescribedInvitation,
  type TInvitation,
  type TWorkspace,
  type TTx,
} from "@lockstep/db";
import type { TAuditAction } from "@lockstep/validators";
import { AppError } from "../errors";
import type { TActor } from "./secrets";
import { assertMayGrant } from "./tenancy";

/** What every invitation procedure returns: who is invited where, as what, by whom, until when. */
export function invitationOut(row: TDescribedInvitation) {
  const i = row.invitation;
  return {
    id: i.id,
    email: i.email,
    status: i.status,
    kind: i.workspaceId ? ("workspace" as const) : ("organization" as const),
    orgId: i.orgId,
    orgName: row.orgName,
    workspaceId: i.workspaceId,
    workspaceName: row.workspaceName,
    role: (i.workspaceRole ?? i.orgRole)!,
    invitedBy: row.inviterEmail ? { name: row.inviterName ?? "", email: row.inviterEmail } : null,
    createdAt: i.createdAt,
    expiresAt: i.expiresAt,
  };
}

async function described(db: TDbOrTx, id: string) {
  const row = await describeInvitation(db, id);
  if (!row) throw new Error(`invitation ${id} vanished`);
  return invitationOut(row);
}

function audit(actor: TActor, invitation: TInvitation, action: TAuditAction, detail: Record<string, string> = {}) {
  return {
    actorId: actor.id,
    actorEmail: actor.email,
    ip: actor.ip,
    userAgent: actor.userAgent,
    action,
    // A workspace invitation shows in that workspace's Activity; an org's is kept for the record.
    workspaceId: invitation.workspaceId,
    targetType: "invitation",
    targetId: invitation.id,
    targetName: invitation.email,
    detail: { role: (invitation.workspaceRole ?? invitation.orgRole)!, ...detail },
  };
}

const ROLE_ARTICLE: Record<TOrgRole, string> = {
  owner: "an owner",
  member: "a member",
  collaborator: "a collaborator",
};

const NO_SUCH_INVITATION = "No such invitation: it may have expired, been revoked or been answered already.";

async function userIdByEmail(db: TDbOrTx, email: string) {
  return (await findUserByEmail(db, email))?.id ?? null;
}

/**
 * Invites an email to an organization. Whether an account uses the email changes nothing in the
 * answer: the invitation waits for that email (its account, or the account it signs up for).
 */
export async function inviteToOrg(
  db: TDatabase,
  org: { id: string; name: string },
  actor: TActor,
  input: { email: string; role: TOrgRole },
) {
  return db.transaction(async (tx) => {
    const userId = await userIdByEmail(tx, input.email);
    if (userId) {
      const member = await getOrgMember(tx, org.id, userId);
      // The inviter can list the members anyway: this says nothing they could not see.
      if (member) {
        // Inviting someone already in the organization (say, a collaborator to be a member) is a
        // role change, which the members list does; say where they stand.
        throw new AppError(
          "CONFLICT",
          member.role === input.role
            ? `email: ${input.email} is already in this organization as ${ROLE_ARTICLE[member.role]}.`
            : `email: ${input.email} is already in this organization as ${ROLE_ARTICLE[member.role]}; change their role to ${input.role} in the members list instead of inviting them.`,
        );
      }
    }
    const invitation = await insertInvitation(tx, {
      email: input.email,
      orgId: org.id,
      orgRole: input.role,
      invitedBy: actor.id,
    });
    if (!invitation)
      throw new AppError("CONFLICT", `email: ${input.email} already has a pending invitation to this organization.`);
    await recordAudit(tx, audit(actor, invitation, "member.invited", { org: org.name }));
    return described(tx, invitation.id);
  });
}

/** Invites an email to an org workspace; on accepting, someone outside the org joins it as a collaborator. */
export async function inviteToWorkspace(
  db: TDatabase,
  workspace: TWorkspace,
  callerRole: TWorkspaceRole,
  actor: TActor,
  input: { email: string; role: TWorkspaceRole },
) {
  if (!workspace.orgId) throw new AppError("INVALID", "A personal workspace has no other participants.");
  assertMayGrant(callerRole, input.role);
  const orgId = workspace.orgId;
  return db.transaction(async (tx) => {
    const userId = await userIdByEmail(tx, input.email);
    if (userId) {
      if ((await getParticipantRole(tx, workspace.id, userId)) !== null)
        throw new AppError("CONFLICT", `email: ${input.email} already participates in this workspace.`);
    }
    const invitation = await insertInvitation(tx, {
      email: input.email,
      orgId,
      workspaceId: workspace.id,
      workspaceRole: input.role,
      invitedBy: actor.id,
    });
    if (!invitation)
      throw new AppError("CONFLICT", `email: ${input.email} already has a pending invitation to this workspace.`);
    await recordAudit(tx, audit(actor, invitation, "participant.invited", { workspace: workspace.name }));
    return described(tx, invitation.id);
  });
}

/** The invitee's live invitation, locked; NOT_FOUND for anyone else's (no probing of ids). */
async function ownLiveInvitation(tx: TTx, user: { email: string }, invitationId: string) {
  const invitation = await lockLiveInvitation(tx, invitationId);
  if (!invitation || invitation.email !== user.email.toLowerCase()) throw new AppError("NOT_FOUND", NO_SUCH_INVITATION);
  return invitation;
}

const orgRank = (role: TOrgRole) => orgRoles.length - orgRoles.indexOf(role);

/** Membership starts here, and only here: the invitee said yes. */
export async function acceptInvitation(
  db: TDatabase,
  user: { id: string; email: string },
  actor: TActor,
  invitationId: string,
) {
  return db.transaction(async (tx) => {
    const invitation = await ownLiveInvitation(tx, user, invitationId);
    // Serialises with member changes of the org (its last-owner rule locks the same row).
    await lockOrganization(tx, invitation.orgId);
    if (invitation.orgRole) {
      const role = invitation.orgRole;
      const current = await getOrgMember(tx, invitation.orgId, user.id);
      if (!current) await insertOrgMember(tx, { orgId: invitation.orgId, userId: user.id, role });
      // Joined meanwhile (e.g. as a collaborator through a workspace): the invitation can only raise the role.
      else if (orgRank(role) > orgRank(current.role)) await setOrgMemberRole(tx, invitation.orgId, user.id, role);
    } else {
      await insertOrgMemberIfAbsent(tx, { orgId: invitation.orgId, userId: user.id, role: "collaborator" });
      await insertParticipantIfAbsent(tx, {
        workspaceId: invitation.workspaceId!,
        userId: user.id,
        role: invitation.workspaceRole!,
      });
    }
    await closeInvitation(tx, invitation.id, "accepted");
    await recordAudit(tx, audit(actor, invitation, "invitation.accepted"));
    return described(tx, invitation.id);
  });
}

export async function declineInvitation(
  db: TDatabase,
  user: { id: string; email: string },
  actor: TActor,
  invitationId: string,
) {
  return db.transaction(async (tx) => {
    const invitation = await ownLiveInvitation(tx, user, invitationId);
    await closeInvitation(tx, invitation.id, "declined");
    await recordAudit(tx, audit(actor, invitation, "invitation.declined"));
    return described(tx, invitation.id);
  });
}

/** Withdraws a live invitation of this org (scope.workspaceId absent) or of this workspace. */
export async function revokeInvitation(
  db: TDatabase,
  scope: { orgId: string } | { workspaceId: string; callerRole: TWorkspaceRole },
  actor: TActor,
  invitationId: string,
) {
  return db.transaction(async (tx) => {
    const invitation = await lockLiveInvitation(tx, invitationId);
    const inScope =
      invitation !== null &&
      ("orgId" in scope
        ? invitation.orgId === scope.orgId && invitation.workspaceId === null
        : invitation.workspaceId === scope.workspaceId);
    if (!invitation || !inScope) throw new AppError("NOT_FOUND", NO_SUCH_INVITATION);
    if ("callerRole" in scope) assertMayGrant(scope.callerRole, invitation.workspaceRole!);
    await closeInvitation(tx, invitation.id, "revoked");
    await recordAudit(tx, audit(actor, invitation, "invitation.revoked"));
    return described(tx, invitation.id);
  });
}
