import { roleRank, type TWorkspaceRole } from "@lockstep/auth";
import { and, eq, ne, or, recordAudit, schema, sql, type TAuditInput, type TDatabase, type TTx } from "@lockstep/db";
import { slugify, type TAuditAction } from "@lockstep/validators";
import { AppError, isUniqueViolation } from "../errors";
import type { TActor } from "./secrets";

const { organizations, orgMembers, users, workspaces, workspaceParticipants } = schema;

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

async function emailOf(db: TDatabase | TTx, userId: string) {
  const [row] = await db.select({ email: users.email }).from(users).where(eq(users.id, userId));
  return row?.email ?? null;
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
      const [org] = await tx.insert(organizations).values(input).returning();
      await tx.insert(orgMembers).values({ orgId: org!.id, userId, role: "owner" });
      return org!;
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

/**
 * A rename obeys the rule a creation does: creating with `name` derives its short name, so a name
 * whose short name — or whose very spelling — a sibling already holds is refused.
 */
function sameNameAs(table: typeof organizations | typeof workspaces, name: string) {
  return or(sql`lower(${table.name}) = lower(${name})`, eq(table.slug, slugify(name)));
}

export async function updateOrganization(
  db: TDatabase,
  current: typeof organizations.$inferSelect,
  actor: TActor,
  input: { name?: string; slug?: string; description?: string },
) {
  const orgId = current.id;
  if (input.name !== undefined) {
    const [taken] = await db
      .select({ id: organizations.id })
      .from(organizations)
      .where(and(ne(organizations.id, orgId), sameNameAs(organizations, input.name)))
      .limit(1);
    if (taken) throw nameTaken(`An organization named "${input.name}" already exists.`);
  }
  try {
    return await db.transaction(async (tx) => {
      const [org] = await tx.update(organizations).set(input).where(eq(organizations.id, orgId)).returning();
      const changed = changedFields(current, input);
      if (changed.length > 0) {
        await recordAudit(
          tx,
          event(
            actor,
            "org.updated",
            { workspaceId: null, targetType: "organization", targetId: orgId, targetName: org!.name },
            { changed },
          ),
        );
      }
      return org!;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `An organization with the short name "${input.slug}" already exists.`);
    throw error;
  }
}

export async function deleteOrganization(db: TDatabase, orgId: string) {
  await db.delete(organizations).where(eq(organizations.id, orgId));
}

async function lockOrg(tx: TTx, orgId: string) {
  // Serialises membership changes per org so "the last owner" is decided on a stable count.
  await tx.execute(sql`select 1 from ${organizations} where ${organizations.id} = ${orgId} for update`);
}

async function ownerCount(tx: TTx, orgId: string) {
  const [row] = await tx
    .select({ n: sql<number>`count(*)::int` })
    .from(orgMembers)
    .where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.role, "owner")));
  return row?.n ?? 0;
}

export async function updateOrgMemberRole(
  db: TDatabase,
  orgId: string,
  actor: TActor,
  userId: string,
  role: "owner" | "member" | "collaborator",
) {
  await db.transaction(async (tx) => {
    await lockOrg(tx, orgId);
    const [current] = await tx
      .select()
      .from(orgMembers)
      .where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.userId, userId)));
    if (!current) throw new AppError("NOT_FOUND", "No such member.");
    if (current.role === "owner" && role !== "owner" && (await ownerCount(tx, orgId)) <= 1) {
      throw new AppError("CONFLICT", "An organization needs at least one owner: make someone else owner first.");
    }
    await tx
      .update(orgMembers)
      .set({ role })
      .where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.userId, userId)));
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
    await lockOrg(tx, orgId);
    const [current] = await tx
      .select()
      .from(orgMembers)
      .where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.userId, userId)));
    if (!current) throw new AppError("NOT_FOUND", "No such member.");
    if (current.role === "owner" && (await ownerCount(tx, orgId)) <= 1) {
      throw new AppError("CONFLICT", "The last owner cannot leave the organization: make someone else owner first.");
    }
    // Leaving an org also ends every participation in its workspaces.
    await tx.execute(
      sql`delete from ${workspaceParticipants} where ${workspaceParticipants.userId} = ${userId} and ${workspaceParticipants.workspaceId} in (select id from ${workspaces} where ${workspaces.orgId} = ${orgId})`,
    );
    await tx.delete(orgMembers).where(and(eq(orgMembers.orgId, orgId), eq(orgMembers.userId, userId)));
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
      const [ws] = await tx
        .insert(workspaces)
        .values({ orgId, ...input })
        .returning();
      await tx.insert(workspaceParticipants).values({ workspaceId: ws!.id, userId: creatorId, role: "owner" });
      return ws!;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `This organization already has a workspace with the short name "${input.slug}".`);
    throw error;
  }
}

export async function updateWorkspace(
  db: TDatabase,
  workspace: typeof workspaces.$inferSelect,
  actor: TActor,
  input: { name?: string; slug?: string; description?: string; visibility?: "private" | "shared" },
) {
  if (workspace.personalOwnerId && (input.slug || input.visibility)) {
    throw new AppError("INVALID", "A personal workspace keeps its short name and stays private.");
  }
  if (input.name !== undefined && workspace.orgId) {
    const [taken] = await db
      .select({ id: workspaces.id })
      .from(workspaces)
      .where(
        and(eq(workspaces.orgId, workspace.orgId), ne(workspaces.id, workspace.id), sameNameAs(workspaces, input.name)),
      )
      .limit(1);
    if (taken) throw nameTaken(`This organization already has a workspace named "${input.name}".`);
  }
  try {
    return await db.transaction(async (tx) => {
      const [ws] = await tx.update(workspaces).set(input).where(eq(workspaces.id, workspace.id)).returning();
      const changed = changedFields(workspace, input);
      if (changed.length > 0) {
        const at = { workspaceId: workspace.id, targetType: "workspace", targetId: workspace.id, targetName: ws!.name };
        await recordAudit(tx, event(actor, "workspace.updated", at, { changed }));
      }
      return ws!;
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `This organization already has a workspace with the short name "${input.slug}".`);
    throw error;
  }
}

export async function deleteWorkspace(db: TDatabase, workspace: typeof workspaces.$inferSelect) {
  if (workspace.personalOwnerId) throw new AppError("INVALID", "A personal workspace cannot be deleted.");
  await db.delete(workspaces).where(eq(workspaces.id, workspace.id));
}

export function assertMayGrant(callerRole: TWorkspaceRole, role: TWorkspaceRole) {
  // Nobody hands out more than they hold: only owners make owners.
  if (roleRank(role) > roleRank(callerRole)) {
    throw new AppError("FORBIDDEN", `Your role (${callerRole}) cannot grant the ${role} role.`);
  }
}

async function participantRole(db: TDatabase, workspaceId: string, userId: string) {
  const [row] = await db
    .select({ role: workspaceParticipants.role })
    .from(workspaceParticipants)
    .where(and(eq(workspaceParticipants.workspaceId, workspaceId), eq(workspaceParticipants.userId, userId)));
  return row?.role ?? null;
}

export async function updateParticipantRole(
  db: TDatabase,
  workspace: typeof workspaces.$inferSelect,
  callerRole: TWorkspaceRole,
  actor: TActor,
  userId: string,
  role: TWorkspaceRole,
) {
  const current = await participantRole(db, workspace.id, userId);
  if (!current) throw new AppError("NOT_FOUND", "No such participant.");
  assertMayGrant(callerRole, role);
  assertMayGrant(callerRole, current);
  await db
    .update(workspaceParticipants)
    .set({ role })
    .where(and(eq(workspaceParticipants.workspaceId, workspace.id), eq(workspaceParticipants.userId, userId)));
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
  workspace: typeof workspaces.$inferSelect,
  callerRole: TWorkspaceRole,
  actor: TActor,
  userId: string,
) {
  if (workspace.personalOwnerId) throw new AppError("INVALID", "A personal workspace has no other participants.");
  const current = await participantRole(db, workspace.id, userId);
  if (!current) throw new AppError("NOT_FOUND", "No such participant.");
  assertMayGrant(callerRole, current);
  await db
    .delete(workspaceParticipants)
    .where(and(eq(workspaceParticipants.workspaceId, workspace.id), eq(workspaceParticipants.userId, userId)));
  const at = {
    workspaceId: workspace.id,
    targetType: "participant",
    targetId: userId,
    targetName: await emailOf(db, userId),
  };
  await recordAudit(db, event(actor, "participant.removed", at, { role: current }));
}
