/**
 * The one role → permission table (DESIGN.md §2). Every workspace-scoped procedure names one
 * permission; authorisation is a lookup here, never an ad-hoc role comparison.
 */
export const workspaceRoles = ["owner", "admin", "maintainer", "launch", "connect", "view"] as const;
export type TWorkspaceRole = (typeof workspaceRoles)[number];

export const permissions = [
  "workspace:view",
  "secrets:list",
  "secrets:write",
  "runs:launch",
  "runs:cancel-own",
  "runs:cancel-any",
  "pipelines:manage",
  "compute-envs:manage",
  "participants:manage",
  "workspace:settings",
  "audit:read",
  "workspace:delete",
] as const;
export type TPermission = (typeof permissions)[number];

const everyone: TWorkspaceRole[] = [...workspaceRoles];
const maintainers: TWorkspaceRole[] = ["owner", "admin", "maintainer"];
const admins: TWorkspaceRole[] = ["owner", "admin"];

export const permissionTable: Record<TPermission, readonly TWorkspaceRole[]> = {
  "workspace:view": everyone,
  "secrets:list": everyone,
  "secrets:write": maintainers,
  "runs:launch": [...maintainers, "launch"],
  "runs:cancel-own": [...maintainers, "launch"],
  "runs:cancel-any": maintainers,
  "pipelines:manage": maintainers,
  "compute-envs:manage": maintainers,
  "participants:manage": admins,
  "workspace:settings": admins,
  "audit:read": admins,
  "workspace:delete": ["owner"],
};

export function can(role: TWorkspaceRole, permission: TPermission): boolean {
  return permissionTable[permission].includes(role);
}

export function permissionsOf(role: TWorkspaceRole): TPermission[] {
  return permissions.filter((p) => can(role, p));
}

/** Higher first: owner outranks admin outranks … view. */
export function roleRank(role: TWorkspaceRole): number {
  return workspaceRoles.length - workspaceRoles.indexOf(role);
}

// ── Organizations ────────────────────────────────────────────────────────────────────────────
export const orgRoles = ["owner", "member", "collaborator"] as const;
export type TOrgRole = (typeof orgRoles)[number];

export const orgPermissions = ["org:view", "org:members:list", "org:manage"] as const;
export type TOrgPermission = (typeof orgPermissions)[number];

/** Org owners manage the org, its members and its workspaces; collaborators see only the org's name. */
export const orgPermissionTable: Record<TOrgPermission, readonly TOrgRole[]> = {
  "org:view": ["owner", "member", "collaborator"],
  "org:members:list": ["owner", "member"],
  "org:manage": ["owner"],
};

export function orgCan(role: TOrgRole, permission: TOrgPermission): boolean {
  return orgPermissionTable[permission].includes(role);
}

/**
 * A user's role in a workspace: a personal workspace belongs to its owner alone; in an org
 * workspace the participant role counts, an org owner acts as owner, and in a shared workspace
 * every org member (not collaborator) can at least view. Null means invisible.
 */
export function effectiveWorkspaceRole(facts: {
  personalOwnerId: string | null;
  visibility: "private" | "shared";
  participantRole: TWorkspaceRole | null;
  orgRole: TOrgRole | null;
  userId: string;
}): TWorkspaceRole | null {
  if (facts.personalOwnerId !== null) return facts.personalOwnerId === facts.userId ? "owner" : null;
  const candidates: TWorkspaceRole[] = [];
  if (facts.participantRole) candidates.push(facts.participantRole);
  if (facts.orgRole === "owner") candidates.push("owner");
  if (facts.orgRole === "member" && facts.visibility === "shared") candidates.push("view");
  if (candidates.length === 0) return null;
  return candidates.sort((a, b) => roleRank(b) - roleRank(a))[0]!;
}
