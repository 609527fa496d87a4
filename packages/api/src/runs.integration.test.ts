import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, getRun, recordAudit, updateRunIf } from "@lockstep/db";
import {
  addParticipant,
  callerFor,
  freshDatabase,
  makeAdmin,
  makeInstanceAdmin,
  makeUser,
  pipelinesRoot,
  testQueues,
} from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );
const localEnv = {
  kind: "local",
  name: "Local",
  workDir: "/tmp/lockstep-runs-it",
  nextflowVersion: "24.10.5",
} as const;
/** A real pipeline directory (holding main.nf) under the test context's allowed root. */
const pipelineDir = join(pipelinesRoot, "secrets-hash");

async function setup() {
  const owner = await makeUser(db, "owner");
  const launcher = await makeUser(db, "launcher");
  // Local environments are the instance admin's to create; the launcher is a plain user.
  await makeInstanceAdmin(db, owner.id);
  const asOwner = callerFor(db, owner.id);
  const org = await asOwner.orgs.create({ name: "Runs", slug: `runs-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Pipelines" });
  await addParticipant(db, asOwner, { workspaceId: ws.id, user: launcher, role: "launch" });
  const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: {
      name: "hello",
      repository: pipelineDir,
      defaultComputeEnvId: ce.id,
      defaultParams: { greeting: "hi", n: 1 },
    },
  });
  const markers = {
    db: `MARKER-${randomUUID()}`,
    wsToken: `MARKER-${randomUUID()}`,
    userToken: `MARKER-${randomUUID()}`,
  };
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
      // The launcher's API_TOKEN overrides the workspace's: the Launch form says so without listing the workspace's secrets.
      overridden: ["API_TOKEN"],
      needs: null,
    });
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id, params: { n: 2 } });
    expect(run).toMatchObject({
      status: "SUBMITTED",
      secretsState: "PENDING",
      params: { greeting: "hi", n: 2 },
      computeEnvName: "Local",
    });
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
    for (const marker of Object.values(markers))
      expect(JSON.stringify(run) + JSON.stringify(job?.data)).not.toContain(marker);
  });

  it("narrows to selected names, and refuses names that do not exist", async () => {
    const { asLauncher, ws, pipeline } = await setup();
    const run = await asLauncher.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      secrets: { mode: "selected", names: ["DB_PASSWORD"] },
    });
    expect(run.secretNames).toEqual([{ name: "DB_PASSWORD", source: "workspace" }]);
    const error = await asLauncher.runs
      .launch({ workspaceId: ws.id, pipelineId: pipeline.id, secrets: { mode: "selected", names: ["NOPE_X"] } })
      .catch((e: TRPCError) => e);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toBe("secrets: no secret named NOPE_X in this workspace or your secrets.");
    const none = await asLauncher.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      secrets: { mode: "none" },
    });
    expect(none).toMatchObject({ secretNames: [], secretsState: "NONE" });
  });

  it("a launch from a personal workspace provisions no secrets", async () => {
    const user = await makeUser(db, "solo");
    // Only an instance admin may run on a local environment from a personal workspace (see below).
    await makeInstanceAdmin(db, user.id);
    const me = callerFor(db, user.id);
    await me.userSecrets.create({ name: "API_TOKEN", value: { plain: "mine" } });
    await me.secrets.create({ workspaceId: user.personalWorkspaceId, name: "DB_PASSWORD", value: { plain: "x" } });
    const ce = await me.computeEnvs.create({ workspaceId: user.personalWorkspaceId, computeEnv: localEnv });
    const pipeline = await me.pipelines.create({
      workspaceId: user.personalWorkspaceId,
      pipeline: { name: "p", repository: pipelineDir, defaultComputeEnvId: ce.id },
    });
    expect(await me.runs.effectiveSecrets({ workspaceId: user.personalWorkspaceId })).toEqual({
      personal: true,
      secrets: [],
      overridden: [],
      needs: null,
    });
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
    expect((error as TRPCError).message).toBe("computeEnv.workDir: Enter an absolute path, starting with /.");
    expect((await asOwner.computeEnvs.list({ workspaceId: ws.id })).map((c) => c.name)).toEqual(["Local"]);
  });

  it("refuses to delete a compute environment a run still needs, until its secrets are deleted", async () => {
    const { asOwner, asLauncher, ws, ce, pipeline } = await setup();
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    const refused = await asOwner.computeEnvs
      .delete({ workspaceId: ws.id, computeEnvId: ce.id })
      .catch((e: TRPCError) => e);
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

describe("launching on Lockstep's own machines", () => {
  const REFUSED =
    "computeEnvId: Only an instance admin can launch runs on local or host Slurm compute environments from a personal workspace; launch from an organization workspace, or choose a cloud compute environment.";

  it("from a personal workspace only an instance admin may launch on a local or host Slurm environment, even where maintainers may create them", async () => {
    // Its own database: the setting is instance-wide.
    const fresh = await freshDatabase(inject("databaseUrl"));
    try {
      const admin = await makeAdmin(fresh.db, "first"); // the instance admin
      const stranger = await makeUser(fresh.db, "stranger"); // anyone who signs up
      const asAdmin = callerFor(fresh.db, admin.id);
      const asStranger = callerFor(fresh.db, stranger.id);
      await asAdmin.instance.update({ hostComputeEnvs: "workspace-maintainers" });
      const home = stranger.personalWorkspaceId;
      const local = await asStranger.computeEnvs.create({ workspaceId: home, computeEnv: localEnv });
      const slurm = await asStranger.computeEnvs.create({
        workspaceId: home,
        computeEnv: { ...localEnv, kind: "slurm", name: "Slurm", config: {} },
      });
      const pipeline = await asStranger.pipelines.create({
        workspaceId: home,
        pipeline: { name: "p", repository: pipelineDir, defaultComputeEnvId: local.id },
      });
      for (const computeEnvId of [local.id, slurm.id]) {
        const error = await asStranger.runs
          .launch({ workspaceId: home, pipelineId: pipeline.id, computeEnvId })
          .catch((e: TRPCError) => e);
        expect([(error as TRPCError).code, (error as TRPCError).message]).toEqual(["FORBIDDEN", REFUSED]);
      }
      expect(await asStranger.runs.list({ workspaceId: home })).toEqual([]);

      // Positive controls: the same user in an organization workspace of their own, and the admin at home.
      const org = await asStranger.orgs.create({ name: "Stranger's lab", slug: "stranger-lab" });
      const ws = await asStranger.workspaces.create({ orgId: org.id, name: "Lab" });
      const labEnv = await asStranger.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv });
      const labPipeline = await asStranger.pipelines.create({
        workspaceId: ws.id,
        pipeline: { name: "p", repository: pipelineDir, defaultComputeEnvId: labEnv.id },
      });
      // The lab has none of the secrets the pipeline needs: "All" (here, none) launches anyway.
      expect(
        await asStranger.runs.launch({ workspaceId: ws.id, pipelineId: labPipeline.id, secrets: { mode: "all" } }),
      ).toMatchObject({ status: "SUBMITTED" });
      const adminEnv = await asAdmin.computeEnvs.create({
        workspaceId: admin.personalWorkspaceId,
        computeEnv: localEnv,
      });
      const adminPipeline = await asAdmin.pipelines.create({
        workspaceId: admin.personalWorkspaceId,
        pipeline: { name: "p", repository: pipelineDir, defaultComputeEnvId: adminEnv.id },
      });
      expect(
        await asAdmin.runs.launch({ workspaceId: admin.personalWorkspaceId, pipelineId: adminPipeline.id }),
      ).toMatchObject({ status: "SUBMITTED", secretsState: "NONE" });
    } finally {
      await fresh.close();
    }
  });

  it("checks a local pipeline's directory again at launch", async () => {
    const root = await mkdtemp(join(tmpdir(), "lockstep-launch-root-"));
    try {
      await mkdir(join(root, "hello"));
      await writeFile(join(root, "hello", "main.nf"), "workflow { println 'hello' }\n");
      const { owner, ws, ce } = await setup();
      const asOwner = callerFor(db, owner.id, { config: { localPipelineRoots: [root] } });
      const pipeline = await asOwner.pipelines.create({
        workspaceId: ws.id,
        pipeline: { name: "temp", repository: join(root, "hello"), defaultComputeEnvId: ce.id },
      });
      expect(await asOwner.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })).toMatchObject({
        status: "SUBMITTED",
      });
      await rm(join(root, "hello", "main.nf"));
      const error = await asOwner.runs
        .launch({ workspaceId: ws.id, pipelineId: pipeline.id })
        .catch((e: TRPCError) => e);
      expect((error as TRPCError).code).toBe("BAD_REQUEST");
      expect((error as TRPCError).message).toBe(
        `pipelineId: This pipeline cannot be run from its path. The directory has no main.nf (a regular file, not a link). A local pipeline must be a directory holding main.nf inside ${root}.`,
      );
      // An instance whose roots were removed refuses every local path, saying how to allow them.
      const noRoots = callerFor(db, owner.id, { config: { localPipelineRoots: [] } });
      const off = await noRoots.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id }).catch((e: TRPCError) => e);
      expect((off as TRPCError).message).toMatch(
        /^pipelineId: This pipeline cannot be run from its path\. Local pipeline paths are turned off on this instance\..*LOCKSTEP_LOCAL_PIPELINE_ROOTS/,
      );
      expect((await asOwner.runs.list({ workspaceId: ws.id })).length).toBe(1);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe("a personal secret's name is its owner's alone", () => {
  it("another participant reads 'a personal secret of <launcher>' and the count, never the name (run page, run list, Activity, old events, errors)", async () => {
    const { launcher, asOwner, asLauncher, ws, pipeline } = await setup();
    const marker = `PERSONAL_${randomUUID().replace(/-/g, "").slice(0, 12).toUpperCase()}`;
    await asLauncher.userSecrets.create({ name: marker, value: { plain: "personal value" } });
    // The pipeline does not need the marker: only naming it sends it (personal secrets never go along wholesale).
    const launched = await asLauncher.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      secrets: { mode: "selected", names: ["DB_PASSWORD", "API_TOKEN", marker] },
    });

    // Positive control: the launcher sees their own names, and the row holds them.
    expect(launched.secretNames).toEqual(expect.arrayContaining([{ name: marker, source: "user" }]));
    expect(
      (await asLauncher.runs.get({ workspaceId: ws.id, runId: launched.id })).secretNames.map((s) => s.name),
    ).toContain(marker);
    expect(JSON.stringify((await getRun(db, launched.id))!.secretRefs)).toContain(marker);

    // What the worker writes when a cloud API quotes the name, and an event in the old form (names with "(user)").
    await updateRunIf(
      db,
      launched.id,
      {},
      {
        errorMessage: `could not provision secrets: Secrets Manager returned no ARN for lockstep-${launched.id}/${marker}`,
        lastCleanupError: `could not delete ${marker}`,
      },
    );
    await recordAudit(db, {
      actorId: null,
      actorEmail: null,
      ip: null,
      userAgent: "lockstep-worker/old",
      action: "secrets.provisioned",
      workspaceId: ws.id,
      targetType: "run",
      targetId: launched.id,
      targetName: "hello",
      runId: launched.id,
      detail: {
        provider: "aws-secrets-manager",
        names: ["DB_PASSWORD (workspace)", `${marker} (user)`, "API_TOKEN (user)"],
        error: `AccessDenied on ${marker}`,
      },
    });

    const asOwnerGet = await asOwner.runs.get({ workspaceId: ws.id, runId: launched.id });
    const asOwnerList = await asOwner.runs.list({ workspaceId: ws.id });
    const activity = await asOwner.audit.list({ workspaceId: ws.id, limit: 500 });
    const readable = JSON.stringify([asOwnerGet, asOwnerList, activity]);
    expect(readable).not.toContain(marker);
    expect(readable).not.toContain("(user)");
    expect(asOwnerGet.secretNames).toEqual([{ name: "DB_PASSWORD", source: "workspace" }]);
    expect(asOwnerGet.personalSecretCount).toBe(2);
    expect(asOwnerGet.errorMessage).toBe(
      `could not provision secrets: Secrets Manager returned no ARN for lockstep-${launched.id}/[a personal secret of ${launcher.name}]`,
    );

    const launchedEvent = activity.items.find((e) => e.action === "run.launched" && e.runId === launched.id)!;
    expect(launchedEvent.detail).toEqual({
      computeEnv: "Local",
      names: ["DB_PASSWORD (workspace)"],
      personalSecrets: 2,
      personalSecretsOf: launcher.name,
      secretsMode: "selected",
      sourceFingerprint: expect.stringMatching(/^sha256:[0-9a-f]{64}$/),
    });
    const oldEvent = activity.items.find((e) => e.action === "secrets.provisioned" && e.runId === launched.id)!;
    expect(oldEvent.detail).toEqual({
      provider: "aws-secrets-manager",
      names: ["DB_PASSWORD (workspace)"],
      personalSecrets: 2,
      personalSecretsOf: launcher.name,
      error: `AccessDenied on [a personal secret of ${launcher.name}]`,
    });
  });
});
