import { cp, mkdtemp, realpath, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, eq, getRun, recordAudit, schema, updateRunIf } from "@lockstep/db";
import { orgWorkspace } from "@lockstep/vitest-config/fixtures";
import { apiTest, callerFor, makeUser, pipelinesRoot } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const temps: string[] = [];
afterAll(async () => {
  await close();
  for (const t of temps) await rm(t, { recursive: true, force: true });
});

const localEnv = {
  kind: "local",
  name: "Local",
  workDir: "/tmp/lockstep-needs-it",
  nextflowVersion: "24.10.5",
} as const;
const needsDir = join(pipelinesRoot, "needs-config");
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof TRPCError ? { code: e.code, message: e.message } : { code: "?", message: String(e) }),
  );

type TCaller = ReturnType<typeof callerFor>;

/** A local compute environment and a pipeline of `repository` in the workspace, created by its owner. */
async function withPipeline(asOwner: TCaller, workspaceId: string, repository = needsDir) {
  const ce = await asOwner.computeEnvs.create({ workspaceId, computeEnv: localEnv });
  const pipeline = await asOwner.pipelines.create({
    workspaceId,
    pipeline: { name: "needs", repository, defaultComputeEnvId: ce.id },
  });
  return { ce, pipeline };
}

/** The shared `workspace` fixture (an instance admin's org workspace `user` joined with the launch role), with a pipeline. */
const test = apiTest.extend("needs", async ({ workspace, admin, user, as }) => {
  const { ws, asOwner } = workspace;
  return { owner: admin, launcher: user, asOwner, asLauncher: as(user), ws, ...(await withPipeline(asOwner, ws.id)) };
});

/** The same with a context of the test's own (`overrides`), from the shared builders. */
async function setup(repository: string, overrides: Parameters<typeof callerFor>[2]) {
  const owner = await makeUser(db, "owner");
  const launcher = await makeUser(db, "launcher");
  const as = (userId: string) => callerFor(db, userId, overrides);
  const { ws, asOwner } = await orgWorkspace(db, as, {
    owner,
    participants: { launcher },
    roles: { launcher: "launch" },
    org: { name: "Needs", slug: `needs-${owner.id.slice(0, 8)}` },
    workspaceName: "Needs",
  });
  const asLauncher = as(launcher.id);
  return { owner, launcher, asOwner, asLauncher, ws, ...(await withPipeline(asOwner, ws.id, repository)) };
}

const sent = async (runId: string) => (await getRun(db, runId))!.secretRefs.map((r) => `${r.name}:${r.source}`).sort();

describe("what a pipeline needs", () => {
  test("is scanned when a local pipeline is saved and shown in words; an https repository is unknown until launch", async ({
    needs,
  }) => {
    const { asOwner, ws, pipeline, ce } = needs;
    expect(pipeline.secretNeeds).toMatchObject({
      status: "known",
      needs: [
        { name: "AWS_KEY", uses: ["config"], files: ["nextflow.config"] },
        { name: "DB_PASSWORD", uses: ["process"], files: ["main.nf"] },
        { name: "SLACK_WEBHOOK", uses: ["script"], files: ["main.nf"] },
      ],
      optional: ["SLACK_WEBHOOK"],
      problems: [],
    });
    expect(pipeline.secretNeedsText).toBe("needs DB_PASSWORD, SLACK_WEBHOOK (optional) (config: AWS_KEY)");
    const remote = await asOwner.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name: "remote", repository: "https://github.com/nf-core/demo", defaultComputeEnvId: ce.id },
    });
    expect(remote.secretNeeds).toMatchObject({ status: "unknown" });
    expect(remote.secretNeedsText).toMatch(/unknown until launch/);
  });

  test("a launch with no selection sends exactly what the pipeline needs; the launcher's own value wins; unrelated secrets stay home", async ({
    needs,
  }) => {
    const { asOwner, asLauncher, ws, pipeline } = needs;
    await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: "ws-db" } });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "AWS_KEY", value: { plain: "ws-aws" } });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "UNRELATED_WS", value: { plain: "ws-other" } });
    await asLauncher.userSecrets.create({ name: "DB_PASSWORD", value: { plain: "mine-db" } });
    await asLauncher.userSecrets.create({ name: "MY_OTHER", value: { plain: "mine-other" } });

    const plan = await asLauncher.runs.effectiveSecrets({ workspaceId: ws.id, pipelineId: pipeline.id });
    expect(plan.needs).toMatchObject({
      known: true,
      description: "needs DB_PASSWORD, SLACK_WEBHOOK (optional) (config: AWS_KEY)",
      items: [
        { name: "AWS_KEY", optional: false, source: "workspace" },
        { name: "DB_PASSWORD", optional: false, source: "user" },
        { name: "SLACK_WEBHOOK", optional: true, source: "missing" },
      ],
    });
    // "All": every workspace secret, but a personal one only for a name the pipeline needs.
    expect(plan.secrets).toEqual([
      { name: "AWS_KEY", source: "workspace" },
      { name: "DB_PASSWORD", source: "user" },
      { name: "UNRELATED_WS", source: "workspace" },
    ]);

    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    expect(await sent(run.id)).toEqual(["AWS_KEY:workspace", "DB_PASSWORD:user"]);

    // Positive controls: "All" sends the unrelated workspace secret; naming a personal one sends it.
    const all = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id, secrets: { mode: "all" } });
    expect(await sent(all.id)).toEqual(["AWS_KEY:workspace", "DB_PASSWORD:user", "UNRELATED_WS:workspace"]);
    const only = await asLauncher.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      secrets: { mode: "selected", names: ["MY_OTHER"] },
    });
    expect(await sent(only.id)).toEqual(["MY_OTHER:user"]);

    // Once the optional one has a value it goes along too.
    await asOwner.secrets.create({ workspaceId: ws.id, name: "SLACK_WEBHOOK", value: { plain: "hook" } });
    const withHook = await asLauncher.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      secrets: { mode: "needed" },
    });
    expect(await sent(withHook.id)).toEqual(["AWS_KEY:workspace", "DB_PASSWORD:user", "SLACK_WEBHOOK:workspace"]);

    // The audit event says how the set was chosen and from which sources, never a value.
    const events = await asOwner.audit.list({ workspaceId: ws.id, limit: 100 });
    const launched = events.items.find(
      (e: { action: string; runId: string | null }) => e.action === "run.launched" && e.runId === run.id,
    );
    expect(launched?.detail).toMatchObject({ secretsMode: "needed", optionalLeftOut: ["SLACK_WEBHOOK"] });
    expect(JSON.stringify(events)).not.toMatch(/ws-db|ws-aws|mine-db|mine-other|ws-other/);
  });

  test("names every missing required secret before launch; a pipeline setting can make one optional", async ({
    needs,
  }) => {
    const { asOwner, asLauncher, ws, pipeline, ce } = needs;
    expect(await errorOf(asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id }))).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/needs AWS_KEY, DB_PASSWORD, which have no value/),
    });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: "x" } });
    expect((await errorOf(asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })))?.message).toMatch(
      /needs AWS_KEY, which has no value/,
    );
    await asOwner.pipelines.update({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      pipeline: { name: "needs", repository: needsDir, defaultComputeEnvId: ce.id, optionalSecrets: ["AWS_KEY"] },
    });
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    expect(await sent(run.id)).toEqual(["DB_PASSWORD:workspace"]);
  });

  test("when the needs are unknown (https), no selection keeps sending all, and asking for 'needed' says why it cannot", async ({
    needs,
  }) => {
    const { asOwner, asLauncher, ws } = needs;
    const ce = await asOwner.computeEnvs.create({ workspaceId: ws.id, computeEnv: { ...localEnv, name: "Local 2" } });
    const remote = await asOwner.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name: "remote", repository: "https://github.com/nf-core/demo", defaultComputeEnvId: ce.id },
    });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: "x" } });
    await asLauncher.userSecrets.create({ name: "MY_OTHER", value: { plain: "y" } });
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: remote.id });
    expect(await sent(run.id)).toEqual(["DB_PASSWORD:workspace", "MY_OTHER:user"]);
    expect(
      (
        await errorOf(
          asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: remote.id, secrets: { mode: "needed" } }),
        )
      )?.message,
    ).toMatch(/unknown until launch/);
  });

  it("is scanned again at launch: a directive added since the pipeline was saved is needed, with a new fingerprint", async () => {
    const root = await realpath(await mkdtemp(join(tmpdir(), "lockstep-needs-")));
    temps.push(root);
    const dir = join(root, "p");
    await cp(needsDir, dir, { recursive: true });
    const { asOwner, asLauncher, ws, pipeline } = await setup(dir, { config: { localPipelineRoots: [root] } });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: "x" } });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "AWS_KEY", value: { plain: "y" } });
    await asOwner.secrets.create({ workspaceId: ws.id, name: "NEW_TOKEN", value: { plain: "z" } });
    const before = pipeline.secretNeeds?.status === "known" ? pipeline.secretNeeds.fingerprint : "";
    await writeFile(join(dir, "extra.nf"), "process EXTRA {\n  secret 'NEW_TOKEN'\n  script:\n  'true'\n}\n");
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    expect(await sent(run.id)).toEqual(["AWS_KEY:workspace", "DB_PASSWORD:workspace", "NEW_TOKEN:workspace"]);
    const [row] = await db.select().from(schema.pipelines).where(eq(schema.pipelines.id, pipeline.id));
    expect(row!.secretNeeds).toMatchObject({ status: "known" });
    expect(row!.secretNeeds?.status === "known" && row!.secretNeeds.fingerprint).not.toBe(before);
  });

  test("the deletion receipt lists each copy's location and when it was verified gone, naming a personal secret to its owner only", async ({
    needs,
  }) => {
    const { asOwner, asLauncher, ws, pipeline, launcher } = needs;
    await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: "x" } });
    await asLauncher.userSecrets.create({ name: "AWS_KEY", value: { plain: "y" } });
    const run = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    // What the worker records for a Secrets Manager store (locations are ARNs holding the names).
    const arn = (n: string) => `arn:aws:secretsmanager:eu-west-1:123456789012:secret:lockstep-${run.id}/${n}-AbCdEf`;
    const writtenAt = new Date().toISOString();
    await updateRunIf(
      db,
      run.id,
      {},
      {
        status: "SUCCEEDED",
        secretsState: "DELETED",
        cleanupTarget: {
          provider: "aws-secrets-manager",
          region: "eu-west-1",
          prefix: "lockstep-",
          credentialId: run.id,
        },
        secretCopies: [
          { location: arn("AWS_KEY"), writtenAt },
          { location: arn("DB_PASSWORD"), writtenAt },
        ],
      },
    );
    const before = await asOwner.runs.receipt({ workspaceId: ws.id, runId: run.id });
    expect(before.deletion.verified).toBe(false);
    expect(before.copies.every((c) => c.goneAt === null)).toBe(true);
    await recordAudit(db, {
      actorId: null,
      actorEmail: null,
      ip: null,
      userAgent: "worker",
      action: "secrets.deleted",
      workspaceId: ws.id,
      targetType: "run",
      targetId: run.id,
      targetName: "needs",
      runId: run.id,
      detail: { provider: "aws-secrets-manager", location: `lockstep-${run.id}`, verified: true, attempts: 2 },
    });

    const mine = await asLauncher.runs.receipt({ workspaceId: ws.id, runId: run.id });
    expect(mine).toMatchObject({
      provider: "aws-secrets-manager",
      store: `lockstep-${run.id}`,
      sidecars: null,
      deletion: { verified: true, attempts: 2 },
    });
    expect(mine.copies.map((c) => c.location)).toEqual([arn("AWS_KEY"), arn("DB_PASSWORD")]);
    expect(
      mine.copies.every(
        (c) => c.writtenAt === writtenAt && c.goneAt === mine.deletion.at && c.verifiedBy === "list-after-delete",
      ),
    ).toBe(true);
    const theirs = await asOwner.runs.receipt({ workspaceId: ws.id, runId: run.id });
    expect(theirs.copies[0]!.location).toBe(
      `arn:aws:secretsmanager:eu-west-1:123456789012:secret:lockstep-${run.id}/[a personal secret of ${launcher.name}]-AbCdEf`,
    );
    expect(theirs.copies[1]!.location).toBe(arn("DB_PASSWORD"));
    expect(JSON.stringify(theirs)).not.toContain("AWS_KEY");
    expect(theirs.personalSecretCount).toBe(1);
  });
});
