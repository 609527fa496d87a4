import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, getRun, updateRunIf } from "@lockstep/db";
import { callerFor, makeUser, testQueues } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (e instanceof TRPCError ? e.code : String(e)));
const localEnv = { kind: "local", name: "Local", workDir: "/tmp/lockstep-runs-it", nextflowVersion: "24.10.5" } as const;

async function setup() {
  const owner = await makeUser(db, "owner");
  const launcher = await makeUser(db, "launcher");
  const asOwner = callerFor(db, owner.id);
  const org = await asOwner.orgs.create({ name: "Runs", slug: `runs-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Pipelines" });
  await asOwner.workspaces.participants.add({ workspaceId: ws.id, email: launcher.email, role: "launch" });
  const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "hello", repository: "/pipelines/hello", defaultComputeEnvId: ce.id, defaultParams: { greeting: "hi", n: 1 } },
  });
  const markers = { db: `MARKER-${randomUUID()}`, wsToken: `MARKER-${randomUUID()}`, userToken: `MARKER-${randomUUID()}` };
  await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: markers.db } });
  await asOwner.secrets.create({ workspaceId: ws.id, name: "API_TOKEN", value: { plain: markers.wsToken } });
  await callerFor(db, launcher.id).userSecrets.create({ name: "API_TOKEN", value: { plain: markers.userToken } });
  return { owner, launcher, asOwner, asLauncher: callerFor(db, launcher.id), ws, ce, pipeline, markers };
}

describe("launching runs", () => {
  it("sends the workspace's secrets overlaid by the launcher's own (user wins), names and sources only", async () => {
    const { asLauncher, ws, pipeline, markers } = await setup();
    expect(await asLauncher.runs.effectiveSecrets({ workspaceId: ws.id })).toEqual({
      personal: false,
      secrets: [
        { name: "API_TOKEN", source: "user" },
        { name: "DB_PASSWORD", source: "workspace" },
      ],
    });
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id, params: { n: 2 } });
    expect(run).toMatchObject({ status: "SUBMITTED", secretsState: "PENDING", params: { greeting: "hi", n: 2 }, computeEnvName: "Local" });
    expect(run.secretNames).toEqual([
      { name: "API_TOKEN", source: "user" },
      { name: "DB_PASSWORD", source: "workspace" },
    ]);
    const stored = await getRun(db, run.id);
    expect(stored!.deadlineAt.getTime() - stored!.submittedAt.getTime()).toBeGreaterThan(86_000_000);

    // The provision job is in Redis with the run id and nothing else.
    const job = await testQueues.get("runs").getJob(`provision-${run.id}`);
    expect(job?.name).toBe("runs.provision");
    expect(job?.data).toEqual({ runId: run.id });
    for (const marker of Object.values(markers)) expect(JSON.stringify(run) + JSON.stringify(job?.data)).not.toContain(marker);
  });

  it("narrows to selected names, and refuses names that do not exist", async () => {
    const { asLauncher, ws, pipeline } = await setup();
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id, secrets: { mode: "selected", names: ["DB_PASSWORD"] } });
    expect(run.secretNames).toEqual([{ name: "DB_PASSWORD", source: "workspace" }]);
    const error = await asLauncher.runs
      .launch({ workspaceId: ws.id, pipelineId: pipeline.id, secrets: { mode: "selected", names: ["NOPE_X"] } })
      .catch((e: TRPCError) => e);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toBe("secrets: no secret named NOPE_X in this workspace or your secrets.");
    const none = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id, secrets: { mode: "none" } });
    expect(none).toMatchObject({ secretNames: [], secretsState: "NONE" });
  });

  it("a launch from a personal workspace provisions no secrets", async () => {
    const user = await makeUser(db, "solo");
    const me = callerFor(db, user.id);
    await me.userSecrets.create({ name: "API_TOKEN", value: { plain: "mine" } });
    await me.secrets.create({ workspaceId: user.personalWorkspaceId, name: "DB_PASSWORD", value: { plain: "x" } });
    const ce = await me.computeEnvs.create({ workspaceId: user.personalWorkspaceId, computeEnv: localEnv });
    const pipeline = await me.pipelines.create({ workspaceId: user.personalWorkspaceId, pipeline: { name: "p", repository: "/p", defaultComputeEnvId: ce.id } });
    expect(await me.runs.effectiveSecrets({ workspaceId: user.personalWorkspaceId })).toEqual({ personal: true, secrets: [] });
    const run = await me.runs.launch({ workspaceId: user.personalWorkspaceId, pipelineId: pipeline.id });
    expect(run).toMatchObject({ secretNames: [], secretsState: "NONE" });
  });

  it("launch-role users cancel only their own runs; maintainers and up cancel any", async () => {
    const { asOwner, asLauncher, ws, pipeline } = await setup();
    const ownersRun = await asOwner.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    const launchersRun = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    expect(await codeOf(asLauncher.runs.cancel({ workspaceId: ws.id, runId: ownersRun.id }))).toBe("FORBIDDEN");
    expect(await codeOf(asLauncher.runs.cancel({ workspaceId: ws.id, runId: launchersRun.id }))).toBe("ok");
    expect(await codeOf(asOwner.runs.cancel({ workspaceId: ws.id, runId: ownersRun.id }))).toBe("ok");
    expect((await asOwner.runs.get({ workspaceId: ws.id, runId: ownersRun.id })).cancelRequested).toBe(true);
    const { items } = await asOwner.audit.list({ workspaceId: ws.id, action: "run.cancel_requested" });
    expect(items).toHaveLength(2);
  });

  it("rejects a compute environment with a relative work directory, naming the field", async () => {
    const { asOwner, ws } = await setup();
    const error = await asOwner.computeEnvs
      .create({ workspaceId: ws.id, computeEnv: { ...localEnv, name: "bad", workDir: "relative" } })
      .catch((e: TRPCError) => e);
    expect((error as TRPCError).message).toBe("computeEnv.workDir: must be an absolute path (starting with /)");
    expect((await asOwner.computeEnvs.list({ workspaceId: ws.id })).map((c) => c.name)).toEqual(["Local"]);
  });

  it("refuses to delete a compute environment a run still needs, until its secrets are deleted", async () => {
    const { asOwner, asLauncher, ws, ce, pipeline } = await setup();
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    const refused = await asOwner.computeEnvs.delete({ workspaceId: ws.id, computeEnvId: ce.id }).catch((e: TRPCError) => e);
    expect((refused as TRPCError).code).toBe("CONFLICT");
    expect((refused as TRPCError).message).toBe(
      "computeEnvId: 1 run uses this compute environment (running, or its secrets not yet deleted); cancel or wait for it first.",
    );
    // Ended but its secrets still being deleted: still needed.
    await updateRunIf(db, run.id, {}, { status: "SUCCEEDED", secretsState: "DELETING" });
    expect(await codeOf(asOwner.computeEnvs.delete({ workspaceId: ws.id, computeEnvId: ce.id }))).toBe("CONFLICT");
    expect((await asOwner.computeEnvs.list({ workspaceId: ws.id })).map((c) => c.id)).toEqual([ce.id]);
    await updateRunIf(db, run.id, {}, { secretsState: "DELETED" });
    expect(await codeOf(asOwner.computeEnvs.delete({ workspaceId: ws.id, computeEnvId: ce.id }))).toBe("ok");
    expect((await getRun(db, run.id))!.computeEnvId).toBeNull();
  });
});
