import { describe, expect, it } from "vitest";
import { can, permissionsOf, type TPermission, type TWorkspaceRole } from "./permissions";

// Written by hand from DESIGN.md §2, independently of the table: a change to one without the
// other fails here.
const expected: Record<TWorkspaceRole, TPermission[]> = {
  owner: ["secrets:list", "secrets:write", "runs:launch", "runs:cancel-own", "runs:cancel-any", "pipelines:manage", "compute-envs:manage", "participants:manage", "workspace:settings", "audit:read", "workspace:delete"],
  admin: ["secrets:list", "secrets:write", "runs:launch", "runs:cancel-own", "runs:cancel-any", "pipelines:manage", "compute-envs:manage", "participants:manage", "workspace:settings", "audit:read"],
  maintainer: ["secrets:list", "secrets:write", "runs:launch", "runs:cancel-own", "runs:cancel-any", "pipelines:manage", "compute-envs:manage"],
  launch: ["secrets:list", "runs:launch", "runs:cancel-own"],
  connect: ["secrets:list"],
  view: ["secrets:list"],
};

describe("role → permission table", () => {
  it.each(Object.entries(expected))("%s has exactly the permissions of the design", (role, perms) => {
    expect(permissionsOf(role as TWorkspaceRole)).toEqual(perms);
  });

  it("never lets a role below maintainer write secrets", () => {
    for (const role of ["launch", "connect", "view"] as const) expect(can(role, "secrets:write")).toBe(false);
  });
});
