/**
 * The one role → permission table (DESIGN.md §2). Every workspace-scoped procedure names one
 * permission; authorisation is a lookup here, never an ad-hoc role comparison.
 */
export const workspaceRoles = ["owner", "admin", "maintainer", "launch", "connect", "view"] as const;
export type TWorkspaceRole = (typeof workspaceRoles)[number];

export const permissions = [
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
