import { describe, expect, it } from "vitest";
import { can, effectiveWorkspaceRole, permissionsOf, type TPermission, type TWorkspaceRole } from "./permissions";

// Written by hand from DESIGN.md §2, independently of the table: a change to one without the
// other fails here.
const expected: Record<TWorkspaceRole, TPermission[]> = {
  owner: [
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
  ],
  admin: [
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
  ],
  maintainer: [
    "workspace:view",
    "secrets:list",
    "secrets:write",
    "runs:launch",
    "runs:cancel-own",
    "runs:cancel-any",
    "pipelines:manage",
    "compute-envs:manage",
  ],
  launch: ["workspace:view", "secrets:list", "runs:launch", "runs:cancel-own"],
  connect: ["workspace:view", "secrets:list"],
  view: ["workspace:view", "secrets:list"],
};

describe("role → permission table", () => {
  it.each(Object.entries(expected))("%s has exactly the permissions of the design", (role, perms) => {
    expect(permissionsOf(role as TWorkspaceRole)).toEqual(perms);
  });

  it("never lets a role below maintainer write secrets", () => {
    for (const role of ["launch", "connect", "view"] as const) expect(can(role, "secrets:write")).toBe(false);
  });
});

describe("effective workspace role", () => {
  const base = {
    personalOwnerId: null,
    visibility: "private" as const,
    participantRole: null,
    orgRole: null,
    userId: "u1",
  };

  it("a personal workspace is its owner's alone", () => {
    expect(effectiveWorkspaceRole({ ...base, personalOwnerId: "u1" })).toBe("owner");
    expect(effectiveWorkspaceRole({ ...base, personalOwnerId: "u2", participantRole: "admin" })).toBeNull();
  });

  it("org owners act as owners; shared workspaces let members view; collaborators need a participation", () => {
    expect(effectiveWorkspaceRole({ ...base, orgRole: "owner" })).toBe("owner");
    expect(effectiveWorkspaceRole({ ...base, orgRole: "member" })).toBeNull();
    expect(effectiveWorkspaceRole({ ...base, orgRole: "member", visibility: "shared" })).toBe("view");
    expect(effectiveWorkspaceRole({ ...base, orgRole: "collaborator", visibility: "shared" })).toBeNull();
    expect(
      effectiveWorkspaceRole({ ...base, orgRole: "member", visibility: "shared", participantRole: "launch" }),
    ).toBe("launch");
    expect(effectiveWorkspaceRole({ ...base, orgRole: "owner", participantRole: "view" })).toBe("owner");
  });
});
