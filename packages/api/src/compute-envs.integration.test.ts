import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, getComputeEnv } from "@lockstep/db";
import { callerFor, makeUser } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const localEnv = { kind: "local", name: "Local", workDir: "/tmp/lockstep-ce-it", nextflowVersion: "24.10.5" } as const;
const storedEnv = { TZ: "UTC", NXF_CONDA_CACHEDIR: "/scratch/conda", LOCKSTEP_E2E: "1" };

/** A workspace with one local environment holding three variables. */
async function setup() {
  const owner = await makeUser(db, "ce-owner");
  const asOwner = callerFor(db, owner.id);
  const org = await asOwner.orgs.create({ name: "Compute", slug: `ce-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Envs" });
  const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: { ...localEnv, env: storedEnv } });
  const stored = async () => (await getComputeEnv(db, ws.id, ce.id))!;
  return { asOwner, ws, ce, stored };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof TRPCError ? { code: e.code, message: e.message } : { code: "?", message: String(e) }),
  );

describe("editing a compute environment's variables", () => {
  it("keeps the stored values of kept names, which the API never returns", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    expect(ce.envNames).toEqual(["LOCKSTEP_E2E", "NXF_CONDA_CACHEDIR", "TZ"]);
    const saved = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...localEnv, name: "Renamed" },
      keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"],
    });
    expect(saved).toMatchObject({ name: "Renamed", envNames: ["LOCKSTEP_E2E", "NXF_CONDA_CACHEDIR", "TZ"] });
    expect(JSON.stringify(saved)).not.toContain("-Xmx4g");
    expect((await stored()).env).toEqual(storedEnv);
  });

  it("a name both kept and given takes the given value; new names are added", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const saved = await asOwner.computeEnvs.update({
      workspaceId: ws.id,
      computeEnvId: ce.id,
      computeEnv: { ...localEnv, env: { TZ: "Europe/Berlin", EXTRA: "x" } },
      keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"],
    });
    expect(saved.envNames).toEqual(["EXTRA", "LOCKSTEP_E2E", "NXF_CONDA_CACHEDIR", "TZ"]);
    expect((await stored()).env).toEqual({ ...storedEnv, TZ: "Europe/Berlin", EXTRA: "x" });
  });

  it("drops the stored names that are neither kept nor given", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const saved = await asOwner.computeEnvs.update({ workspaceId: ws.id, computeEnvId: ce.id, computeEnv: localEnv, keepEnv: ["TZ"] });
    expect(saved.envNames).toEqual(["TZ"]);
    expect((await stored()).env).toEqual({ TZ: "UTC" });
    // Without keepEnv, the given set replaces the stored one (a client that sends every value).
    await asOwner.computeEnvs.update({ workspaceId: ws.id, computeEnvId: ce.id, computeEnv: { ...localEnv, env: { ONLY: "this" } } });
    expect((await stored()).env).toEqual({ ONLY: "this" });
  });

  it("refuses to keep a name that is not set, naming the field, and changes nothing", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const before = await stored();
    const error = await errorOf(
      asOwner.computeEnvs.update({
        workspaceId: ws.id,
        computeEnvId: ce.id,
        computeEnv: { ...localEnv, name: "Should not stick", env: { EXTRA: "x" } },
        keepEnv: ["TZ", "NOT_THERE"],
      }),
    );
    expect(error).toEqual({ code: "BAD_REQUEST", message: "keepEnv: NOT_THERE is not set on this compute environment" });
    expect(await stored()).toEqual(before);
  });

  it("checks kept names by the environment variable rule, and the 100-variable limit on the result", async () => {
    const { asOwner, ws, ce, stored } = await setup();
    const before = await stored();
    const badName = await errorOf(asOwner.computeEnvs.update({ workspaceId: ws.id, computeEnvId: ce.id, computeEnv: localEnv, keepEnv: ["BAD-NAME"] }));
    expect(badName?.code).toBe("BAD_REQUEST");
    expect(badName?.message).toMatch(/^keepEnv\.0: must be an environment variable name/);
    const given = Object.fromEntries(Array.from({ length: 98 }, (_, i) => [`NEW_${i}`, "v"]));
    const tooMany = await errorOf(
      asOwner.computeEnvs.update({ workspaceId: ws.id, computeEnvId: ce.id, computeEnv: { ...localEnv, env: given }, keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"] }),
    );
    expect(tooMany).toEqual({ code: "BAD_REQUEST", message: "computeEnv.env: at most 100 environment variables (101 kept and given)" });
    expect(await stored()).toEqual(before);
    // 97 new and 3 kept is exactly the limit.
    const { NEW_97: _, ...ninetySeven } = given;
    const saved = await asOwner.computeEnvs.update({ workspaceId: ws.id, computeEnvId: ce.id, computeEnv: { ...localEnv, env: ninetySeven }, keepEnv: ["TZ", "NXF_CONDA_CACHEDIR", "LOCKSTEP_E2E"] });
    expect(saved.envNames).toHaveLength(100);
  });

  it("does not reveal another workspace's environment through keepEnv", async () => {
    const { ce } = await setup();
    const other = await makeUser(db, "ce-other");
    const asOther = callerFor(db, other.id);
    const error = await errorOf(
      asOther.computeEnvs.update({ workspaceId: other.personalWorkspaceId, computeEnvId: ce.id, computeEnv: localEnv, keepEnv: ["TZ"] }),
    );
    expect(error).toEqual({ code: "NOT_FOUND", message: "No such compute environment." });
  });
});
