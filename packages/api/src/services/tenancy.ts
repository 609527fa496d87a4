import { roleRank, type TWorkspaceRole } from "@lockstep/auth";
import {
  countOrgOwners,
  deleteOrganizationRow,
  deleteOrgMember,
  deleteOrgParticipations,
  deleteParticipant,
  deleteWorkspaceRow,
  findUserById,
  getOrgMember,
  getParticipantRole,
  insertOrganization,
  insertOrgMember,
  insertParticipant,
  insertWorkspace,
  lockOrganization,
  organizationNameTaken,
  recordAudit,
  setOrgMemberRole,
  setParticipantRole,
  updateOrganizationRow,
  updateWorkspaceRow,
  workspaceNameTaken,
  type TAuditInput,
  type TDatabase,
  type TDbOrTx,
  type TOrganization,
  type TWorkspace,
} from "@lockstep/db";
import type { TAuditAction } from "@lockstep/validators";
import { AppError, isUniqueViolation } from "../errors";
import type { TActor } from "./secrets";

/** An event about the org or workspace itself or one of its people (never a value: names, roles, fields). */
function event(
  actor: TActor,
  action: TAuditAction,
  at: { workspaceId: string | null; targetType: string; targetId: string; targetName: string | null },
  detail: TAuditInput["detail"] = {},
): TAuditInput {
  return {
    actorId: actor.id,
    actorEmail: actor.email,
    ip: actor.ip,
    userAgent: actor.userAgent,
    action,
    ...at,
    detail,
  };
}

async function emailOf(db: TDbOrTx, userId: string) {
  return (await findUserById(db, userId))?.email ?? null;
}

/** The fields an update changes, by name (values of settings are not secret, but the name list is what a reader scans). */
function changedFields<T extends Record<string, unknown>>(before: T, input: Partial<T>): string[] {
  return Object.entries(input).flatMap(([k, v]) => (v !== undefined && v !== before[k] ? [k] : []));
}

export async function createOrganization(
  db: TDatabase,
  userId: string,
  input: { name: string; slug: string; description: string },
) {
  try {
    return await db.transaction(async (tx) => {
      const org = await insertOrganization(tx, input);
      await insertOrgMember(tx, { orgId: org.id, userId, role: "owner" });
      return org;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `An organization with the short name "${input.slug}" already exists.`);
    throw error;
  }
}

/** The name field's CONFLICT, as a creation's: the message names the field, the detail carries it for a form. */
function nameTaken(message: string): AppError {
  return new AppError("CONFLICT", `name: ${message}`, [{ field: "name", message }]);
}

export async function updateOrganization(
  db: TDatabase,
  current: TOrganization,
  actor: TActor,
  input: { name?: string; slug?: string; description?: string },
) {
  const orgId = current.id;
  // A rename obeys the rule a creation does: creating with `name` derives its short name, so a name
  // whose short name — or whose very spelling — a sibling already holds is refused.
  if (input.name !== undefined && (await organizationNameTaken(db, input.name, orgId)))
    throw nameTaken(`An organization named "${input.name}" already exists.`);
  try {
    return await db.transaction(async (tx) => {
      const org = await updateOrganizationRow(tx, orgId, input);
      const changed = changedFields(current, input);
      if (changed.length > 0) {
        await recordAudit(
          tx,
          event(
            actor,
            "org.updated",
            { workspaceId: null, targetType: "organization", targetId: orgId, targetName: org.name },
            { changed },
          ),
        );
      }
      return org;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `An organization with the short name "${input.slug}" already exists.`);
    throw error;
  }
}

export async function deleteOrganization(db: TDatabase, orgId: string) {
  await deleteOrganizationRow(db, orgId);
}

export async function updateOrgMemberRole(
  db: TDatabase,
  orgId: string,
  actor: TActor,
  userId: string,
  role: "owner" | "member" | "collaborator",
) {
  await db.transaction(async (tx) => {
    // Serialises membership changes per org so "the last owner" is decided on a stable count.
    await lockOrganization(tx, orgId);
    const current = await getOrgMember(tx, orgId, userId);
    if (!current) throw new AppError("NOT_FOUND", "No such member.");
    if (current.role === "owner" && role !== "owner" && (await countOrgOwners(tx, orgId)) <= 1) {
      throw new AppError("CONFLICT", "An organization needs at least one owner: make someone else owner first.");
    }
    await setOrgMemberRole(tx, orgId, userId, role);
    if (current.role !== role) {
      const at = {
        workspaceId: null,
        targetType: "org-member",
        targetId: userId,
        targetName: await emailOf(tx, userId),
      };
      await recordAudit(tx, event(actor, "member.role_changed", at, { from: current.role, to: role }));
    }
  });
}

export async function removeOrgMember(db: TDatabase, orgId: string, actor: TActor, userId: string) {
  await db.transaction(async (tx) => {
    await lockOrganization(tx, orgId);
    const current = await getOrgMember(tx, orgId, userId);
    if (!current) throw new AppError("NOT_FOUND", "No such member.");
    if (current.role === "owner" && (await countOrgOwners(tx, orgId)) <= 1) {
      throw new AppError("CONFLICT", "The last owner cannot leave the organization: make someone else owner first.");
    }
    // Leaving an org also ends every participation in its workspaces.
    await deleteOrgParticipations(tx, orgId, userId);
    await deleteOrgMember(tx, orgId, userId);
    const at = { workspaceId: null, targetType: "org-member", targetId: userId, targetName: await emailOf(tx, userId) };
    await recordAudit(tx, event(actor, "member.removed", at, { role: current.role }));
  });
}

export async function createWorkspace(
  db: TDatabase,
  orgId: string,
  creatorId: string,
  input: { name: string; slug: string; description: string; visibility: "private" | "shared" },
) {
  try {
    return await db.transaction(async (tx) => {
      const ws = await insertWorkspace(tx, { orgId, ...input });
      await insertParticipant(tx, { workspaceId: ws.id, userId: creatorId, role: "owner" });
      return ws;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `This organization already has a workspace with the short name "${input.slug}".`);
    throw error;
  }
}

export async function updateWorkspace(
  db: TDatabase,
  workspace: TWorkspace,
  actor: TActor,
  input: { name?: string; slug?: string; description?: string; visibility?: "private" | "shared" },
) {
  if (workspace.personalOwnerId && (input.slug || input.visibility)) {
    throw new AppError("INVALID", "A personal workspace keeps its short name and stays private.");
  }
  // A rename obeys the rule a creation does (see updateOrganization).
  if (input.name !== undefined && workspace.orgId) {
    if (await workspaceNameTaken(db, workspace.orgId, input.name, workspace.id))
      throw nameTaken(`This organization already has a workspace named "${input.name}".`);
  }
  try {
    return await db.transaction(async (tx) => {
      const ws = await updateWorkspaceRow(tx, workspace.id, input);
      const changed = changedFields(workspace, input);
      if (changed.length > 0) {
        const at = { workspaceId: workspace.id, targetType: "workspace", targetId: workspace.id, targetName: ws.name };
        await recordAudit(tx, event(actor, "workspace.updated", at, { changed }));
      }
      return ws;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `This organization already has a workspace with the short name "${input.slug}".`);
    throw error;
  }
}

export async function deleteWorkspace(db: TDatabase, workspace: TWorkspace) {
  if (workspace.personalOwnerId) throw new AppError("INVALID", "A personal workspace cannot be deleted.");
  await deleteWorkspaceRow(db, workspace.id);
}

export function assertMayGrant(callerRole: TWorkspaceRole, role: TWorkspaceRole) {
  // Nobody hands out more than they hold: only owners make owners.
  if (roleRank(role) > roleRank(callerRole)) {
    throw new AppError("FORBIDDEN", `Your role (${callerRole}) cannot grant the ${role} role.`);
  }
}

export async function updateParticipantRole(
  db: TDatabase,
  workspace: TWorkspace,
  callerRole: TWorkspaceRole,
  actor: TActor,
  userId: string,
  role: TWorkspaceRole,
) {
  const current = await getParticipantRole(db, workspace.id, userId);
  if (!current) throw new AppError("NOT_FOUND", "No such participant.");
  assertMayGrant(callerRole, role);
  assertMayGrant(callerRole, current);
  await setParticipantRole(db, workspace.id, userId, role);
  if (current !== role) {
    const at = {
      workspaceId: workspace.id,
      targetType: "participant",
      targetId: userId,
      targetName: await emailOf(db, userId),
    };
    await recordAudit(db, event(actor, "participant.role_changed", at, { from: current, to: role }));
  }
}

export async function removeParticipant(
  db: TDatabase,
  workspace: TWorkspace,
  callerRole: TWorkspaceRole,
  actor: TActor,
  userId: string,
) {
  if (workspace.personalOwnerId) throw new AppError("INVALID", "A personal workspace has no other participants.");
  const current = await getParticipantRole(db, workspace.id, userId);
  if (!current) throw new AppError("NOT_FOUND", "No such participant.");
  assertMayGrant(callerRole, current);
  await deleteParticipant(db, workspace.id, userId);
  const at = {
    workspaceId: workspace.id,
    targetType: "participant",
    targetId: userId,
    targetName: await emailOf(db, userId),
  };
  await recordAudit(db, event(actor, "participant.removed", at, { role: current }));
}
