import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { can, workspaceRoles, type TPermission, type TWorkspaceRole } from "@lockstep/auth";
import { createDatabase, eq, insertRun, schema } from "@lockstep/db";
import {
  addOrgMember,
  addParticipant,
  callerFor,
  makeInstanceAdmin,
  makePlainUser,
  makeUser,
  pipelinesRoot,
  procedureMeta,
} from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

type TOutcome = "ok" | "FORBIDDEN";

const SEEN_HOST_KEY = `SHA256:${"A".repeat(43)}`;
const SSH_KEY_TEXT =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nnot-a-real-key-only-its-shape\n-----END OPENSSH PRIVATE KEY-----\n";
const sshEnv = (credentialId: string) => ({
  kind: "ssh-slurm" as const,
  name: "Cluster",
  workDir: "/scratch/alice/work",
  nextflowVersion: "24.10.8",
  config: { host: "login.cluster.example.org", credentialId, launchDir: "/home/alice/lockstep" },
});
const O: TOutcome = "ok";
const F: TOutcome = "FORBIDDEN";

/**
 * Written by hand from DESIGN.md §2 — NOT derived from code. Columns: owner, admin, maintainer,
 * launch, connect, view. The test checks it against the permission table and against real calls,
 * so changing the table, a procedure's permission, or this expectation alone fails.
 */
const expected: Record<string, [TOutcome, TOutcome, TOutcome, TOutcome, TOutcome, TOutcome]> = {
  "workspaces.get": [O, O, O, O, O, O],
  "workspaces.update": [O, O, F, F, F, F],
  "workspaces.delete": [O, F, F, F, F, F],
  "workspaces.participants.list": [O, O, O, O, O, O],
  "workspaces.participants.add": [O, O, F, F, F, F],
  "workspaces.participants.updateRole": [O, O, F, F, F, F],
  "workspaces.participants.remove": [O, O, F, F, F, F],
  "workspaces.participants.invitations.list": [O, O, F, F, F, F],
  "workspaces.participants.invitations.revoke": [O, O, F, F, F, F],
  "secrets.list": [O, O, O, O, O, O],
  "secrets.history": [O, O, O, O, O, O],
  "secrets.validateName": [O, O, O, F, F, F],
  "secrets.create": [O, O, O, F, F, F],
  "secrets.update": [O, O, O, F, F, F],
  "secrets.delete": [O, O, O, F, F, F],
  "secrets.import": [O, O, O, F, F, F],
  "audit.list": [O, O, F, F, F, F],
  "computeEnvs.list": [O, O, O, O, O, O],
  "computeEnvs.get": [O, O, O, O, O, O],
  "computeEnvs.create": [O, O, O, F, F, F],
  "computeEnvs.update": [O, O, O, F, F, F],
  "computeEnvs.check": [O, O, O, F, F, F],
  "computeEnvs.confirmHostKey": [O, O, O, F, F, F],
  "computeEnvs.delete": [O, O, O, F, F, F],
  "pipelines.list": [O, O, O, O, O, O],
  "pipelines.get": [O, O, O, O, O, O],
  "pipelines.create": [O, O, O, F, F, F],
  "pipelines.update": [O, O, O, F, F, F],
  "pipelines.delete": [O, O, O, F, F, F],
  "runs.effectiveSecrets": [O, O, O, O, F, F],
  "runs.launch": [O, O, O, O, F, F],
  "runs.list": [O, O, O, O, O, O],
  "runs.get": [O, O, O, O, O, O],
  "runs.onChange": [O, O, O, O, O, O],
  "runs.cancel": [O, O, O, O, F, F],
  "runs.logs": [O, O, O, O, O, O],
  "runs.receipt": [O, O, O, O, O, O],
  "runs.secretVersions": [O, O, O, O, O, O],
  "credentials.list": [O, O, O, O, O, O],
  "credentials.create": [O, O, O, F, F, F],
  "credentials.update": [O, O, O, F, F, F],
  "credentials.delete": [O, O, O, F, F, F],
  "webhooks.list": [O, O, F, F, F, F],
  "webhooks.deliveries": [O, O, F, F, F, F],
  "webhooks.create": [O, O, F, F, F, F],
  "webhooks.update": [O, O, F, F, F, F],
  "webhooks.delete": [O, O, F, F, F, F],
  "webhooks.rotateSecret": [O, O, F, F, F, F],
  "webhooks.test": [O, O, F, F, F, F],
};

const awsKey = JSON.stringify({
  accessKeyId: "AKIAABCDEFGHIJKLMNOP",
  secretAccessKey: "0123456789abcdef0123456789abcdef",
});

/** Every procedure in the router that is workspace-scoped, with the permission it checks. */
function workspaceScopedProcedures(): Record<string, TPermission> {
  const out: Record<string, TPermission> = {};
  for (const [path, meta] of procedureMeta()) if (meta.permission) out[path] = meta.permission;
  return out;
}

type TFixture = {
  workspaceId: string;
  targetUserId: string;
  newcomerEmail: string;
  invitationId: string;
  secretId: string;
  computeEnvId: string;
  spareComputeEnvId: string;
  cloudComputeEnvId: string;
  cloudCredentialId: string;
  sshComputeEnvId: string;
  pipelineId: string;
  runId: string;
  credentialId: string;
  webhookId: string;
};

const localEnv = { kind: "local", name: "Local", workDir: "/tmp/lockstep-matrix", nextflowVersion: "24.10.5" } as const;
const cloudEnv = (credentialId: string) =>
  ({
    kind: "aws-batch",
    name: "Cloud",
    workDir: "s3://lockstep-matrix/work",
    nextflowVersion: "24.10.5",
    config: {
      region: "eu-west-1",
      jobQueue: "q",
      executionRoleArn: "arn:aws:iam::123456789012:role/exec",
      headImage: "nextflow/nextflow:24.10.5",
      credentialId,
    },
  }) as const;
/** Real pipeline directories under the test context's allowed root. */
const pipelineDir = join(pipelinesRoot, "sleeps");
const otherPipelineDir = join(pipelinesRoot, "fails");

/** A fresh org workspace where `role` is held by the caller, plus a `view` participant to act on. */
async function fixture(role: TWorkspaceRole) {
  const orgOwner = await makeUser(db, "org-owner");
  const caller = await makePlainUser(db, `as-${role}`);
  const target = await makeUser(db, "target");
  const newcomer = await makeUser(db, "newcomer");
  // The fixture's local environments are set up by an instance admin; the caller is a plain user.
  await makeInstanceAdmin(db, orgOwner.id);
  const owner = callerFor(db, orgOwner.id);
  const org = await owner.orgs.create({ name: `Org for ${role}`, slug: `org-${caller.id.slice(0, 8)}` });
  await addOrgMember(db, owner, { orgId: org.id, user: caller, role: "member" });
  const ws = await owner.workspaces.create({ orgId: org.id, name: "Matrix", visibility: "private" });
  await addParticipant(db, owner, { workspaceId: ws.id, user: caller, role });
  await addParticipant(db, owner, { workspaceId: ws.id, user: target, role: "view" });
  const pending = await owner.workspaces.participants.add({
    workspaceId: ws.id,
    email: `pending-${caller.id.slice(0, 8)}@example.test`,
    role: "view",
  });
  const secret = await owner.secrets.create({ workspaceId: ws.id, name: "EXISTING", value: { plain: "matrix-value" } });
  const ce = await owner.computeEnvs.create({ workspaceId: ws.id, computeEnv: localEnv });
  const pipeline = await owner.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "hello", repository: pipelineDir, defaultComputeEnvId: ce.id },
  });
  // A run of the caller's own (inserted directly: connect and view cannot launch), so cancel tests "own".
  const run = await insertRun(db, {
    workspaceId: ws.id,
    pipelineId: pipeline.id,
    computeEnvId: ce.id,
    launchedBy: caller.id,
    pipelineName: "hello",
    repository: pipelineDir,
    computeEnvName: "Local",
    computeEnvKind: "local",
    deadlineAt: new Date(Date.now() + 3_600_000),
  });
  const f: TFixture = {
    workspaceId: ws.id,
    targetUserId: target.id,
    newcomerEmail: newcomer.email,
    invitationId: pending.id,
    secretId: secret.id,
    computeEnvId: ce.id,
    pipelineId: pipeline.id,
    runId: run.id,
    // The run above holds `ce`; deletion is tried on an environment no run needs.
    spareComputeEnvId: (
      await owner.computeEnvs.create({ workspaceId: ws.id, computeEnv: { ...localEnv, name: "Spare" } })
    ).id,
    credentialId: (
      await owner.credentials.create({ workspaceId: ws.id, name: "aws", provider: "aws", value: { plain: awsKey } })
    ).id,
    cloudComputeEnvId: "",
    cloudCredentialId: "",
    webhookId: (
      await owner.webhooks.create({
        workspaceId: ws.id,
        url: "https://hooks.example.test/lockstep",
        events: ["run.finished"],
      })
    ).endpoint.id,
    sshComputeEnvId: "",
  };
  // "Check connection" applies to cloud environments only; its own credentials, so credentials.delete is not blocked by it.
  const cloudCredential = await owner.credentials.create({
    workspaceId: ws.id,
    name: "aws-cloud",
    provider: "aws",
    value: { plain: awsKey },
  });
  f.cloudCredentialId = cloudCredential.id;
  f.cloudComputeEnvId = (
    await owner.computeEnvs.create({ workspaceId: ws.id, computeEnv: cloudEnv(cloudCredential.id) })
  ).id;
  // An SSH cluster whose last check saw a host key waiting to be confirmed (what the worker records).
  const sshCredential = await owner.credentials.create({
    workspaceId: ws.id,
    name: "cluster",
    provider: "ssh",
    value: { plain: JSON.stringify({ user: "alice", privateKey: SSH_KEY_TEXT }) },
  });
  f.sshComputeEnvId = (await owner.computeEnvs.create({ workspaceId: ws.id, computeEnv: sshEnv(sshCredential.id) })).id;
  await db
    .update(schema.computeEnvs)
    .set({ checkHostKey: SEEN_HOST_KEY })
    .where(eq(schema.computeEnvs.id, f.sshComputeEnvId));
  return { f, call: callerFor(db, caller.id) };
}

const invoke: Record<string, (call: ReturnType<typeof callerFor>, f: TFixture) => Promise<unknown>> = {
  "workspaces.get": (c, f) => c.workspaces.get({ workspaceId: f.workspaceId }),
  "workspaces.update": (c, f) => c.workspaces.update({ workspaceId: f.workspaceId, description: "changed" }),
  "workspaces.delete": (c, f) => c.workspaces.delete({ workspaceId: f.workspaceId }),
  "workspaces.participants.list": (c, f) => c.workspaces.participants.list({ workspaceId: f.workspaceId }),
  "workspaces.participants.add": (c, f) =>
    c.workspaces.participants.add({ workspaceId: f.workspaceId, email: f.newcomerEmail, role: "view" }),
  "workspaces.participants.updateRole": (c, f) =>
    c.workspaces.participants.updateRole({ workspaceId: f.workspaceId, userId: f.targetUserId, role: "connect" }),
  "workspaces.participants.remove": (c, f) =>
    c.workspaces.participants.remove({ workspaceId: f.workspaceId, userId: f.targetUserId }),
  "workspaces.participants.invitations.list": (c, f) =>
    c.workspaces.participants.invitations.list({ workspaceId: f.workspaceId }),
  "workspaces.participants.invitations.revoke": (c, f) =>
    c.workspaces.participants.invitations.revoke({ workspaceId: f.workspaceId, invitationId: f.invitationId }),
  "secrets.list": (c, f) => c.secrets.list({ workspaceId: f.workspaceId }),
  "secrets.history": (c, f) => c.secrets.history({ workspaceId: f.workspaceId, secretId: f.secretId }),
  "secrets.validateName": (c, f) => c.secrets.validateName({ workspaceId: f.workspaceId, name: "NEW_ONE" }),
  "secrets.create": (c, f) => c.secrets.create({ workspaceId: f.workspaceId, name: "NEW_ONE", value: { plain: "v" } }),
  "secrets.update": (c, f) =>
    c.secrets.update({ workspaceId: f.workspaceId, secretId: f.secretId, value: { plain: "v2" } }),
  "secrets.delete": (c, f) => c.secrets.delete({ workspaceId: f.workspaceId, secretId: f.secretId }),
  "secrets.import": (c, f) =>
    c.secrets.import({ workspaceId: f.workspaceId, entries: [{ line: 1, name: "IMPORTED", value: { plain: "v" } }] }),
  "audit.list": (c, f) => c.audit.list({ workspaceId: f.workspaceId }),
  "computeEnvs.list": (c, f) => c.computeEnvs.list({ workspaceId: f.workspaceId }),
  "computeEnvs.get": (c, f) => c.computeEnvs.get({ workspaceId: f.workspaceId, computeEnvId: f.computeEnvId }),
  // A cloud kind: local and host-Slurm ones also need the instance-admin right, which
  // compute-envs.integration.test.ts proves; here only the workspace role decides.
  "computeEnvs.create": (c, f) =>
    c.computeEnvs.create({
      workspaceId: f.workspaceId,
      computeEnv: { ...cloudEnv(f.cloudCredentialId), name: "Another" },
    }),
  "computeEnvs.update": (c, f) =>
    c.computeEnvs.update({
      workspaceId: f.workspaceId,
      computeEnvId: f.cloudComputeEnvId,
      computeEnv: { ...cloudEnv(f.cloudCredentialId), name: "Renamed" },
    }),
  "computeEnvs.check": (c, f) => c.computeEnvs.check({ workspaceId: f.workspaceId, computeEnvId: f.cloudComputeEnvId }),
  "computeEnvs.confirmHostKey": (c, f) =>
    c.computeEnvs.confirmHostKey({
      workspaceId: f.workspaceId,
      computeEnvId: f.sshComputeEnvId,
      fingerprint: SEEN_HOST_KEY,
    }),
  "computeEnvs.delete": (c, f) =>
    c.computeEnvs.delete({ workspaceId: f.workspaceId, computeEnvId: f.spareComputeEnvId }),
  "pipelines.list": (c, f) => c.pipelines.list({ workspaceId: f.workspaceId }),
  "pipelines.get": (c, f) => c.pipelines.get({ workspaceId: f.workspaceId, pipelineId: f.pipelineId }),
  "pipelines.create": (c, f) =>
    c.pipelines.create({ workspaceId: f.workspaceId, pipeline: { name: "another", repository: otherPipelineDir } }),
  "pipelines.update": (c, f) =>
    c.pipelines.update({
      workspaceId: f.workspaceId,
      pipelineId: f.pipelineId,
      pipeline: { name: "renamed", repository: otherPipelineDir },
    }),
  "pipelines.delete": (c, f) => c.pipelines.delete({ workspaceId: f.workspaceId, pipelineId: f.pipelineId }),
  "runs.effectiveSecrets": (c, f) => c.runs.effectiveSecrets({ workspaceId: f.workspaceId }),
  // "All": the fixture workspace lacks the secrets the pipeline needs, which a default launch would refuse (secret-needs.integration.test.ts).
  "runs.launch": (c, f) =>
    c.runs.launch({ workspaceId: f.workspaceId, pipelineId: f.pipelineId, secrets: { mode: "all" } }),
  "runs.list": (c, f) => c.runs.list({ workspaceId: f.workspaceId }),
  "runs.get": (c, f) => c.runs.get({ workspaceId: f.workspaceId, runId: f.runId }),
  // Authorised when the stream is opened; not iterated here (nothing is subscribed until it is).
  "runs.onChange": (c, f) => c.runs.onChange({ workspaceId: f.workspaceId }),
  "runs.cancel": (c, f) => c.runs.cancel({ workspaceId: f.workspaceId, runId: f.runId }),
  "runs.logs": (c, f) => c.runs.logs({ workspaceId: f.workspaceId, runId: f.runId }),
  "runs.receipt": (c, f) => c.runs.receipt({ workspaceId: f.workspaceId, runId: f.runId }),
  "runs.secretVersions": (c, f) => c.runs.secretVersions({ workspaceId: f.workspaceId, runId: f.runId }),
  "credentials.list": (c, f) => c.credentials.list({ workspaceId: f.workspaceId }),
  "credentials.create": (c, f) =>
    c.credentials.create({ workspaceId: f.workspaceId, name: "another", provider: "aws", value: { plain: awsKey } }),
  "credentials.update": (c, f) =>
    c.credentials.update({ workspaceId: f.workspaceId, credentialId: f.credentialId, value: { plain: awsKey } }),
  "credentials.delete": (c, f) => c.credentials.delete({ workspaceId: f.workspaceId, credentialId: f.credentialId }),
  "webhooks.list": (c, f) => c.webhooks.list({ workspaceId: f.workspaceId }),
  "webhooks.deliveries": (c, f) => c.webhooks.deliveries({ workspaceId: f.workspaceId, endpointId: f.webhookId }),
  "webhooks.create": (c, f) =>
    c.webhooks.create({
      workspaceId: f.workspaceId,
      url: "https://hooks.example.test/other",
      events: ["secret.created"],
    }),
  "webhooks.update": (c, f) =>
    c.webhooks.update({ workspaceId: f.workspaceId, endpointId: f.webhookId, enabled: false }),
  "webhooks.delete": (c, f) => c.webhooks.delete({ workspaceId: f.workspaceId, endpointId: f.webhookId }),
  "webhooks.rotateSecret": (c, f) => c.webhooks.rotateSecret({ workspaceId: f.workspaceId, endpointId: f.webhookId }),
  "webhooks.test": (c, f) => c.webhooks.test({ workspaceId: f.workspaceId, endpointId: f.webhookId }),
};

describe("role matrix: every workspace-scoped procedure × every role", () => {
  const procedures = workspaceScopedProcedures();

  it("the hand-written expectations cover exactly the router's workspace-scoped procedures", () => {
    expect(Object.keys(expected).sort()).toEqual(Object.keys(procedures).sort());
    expect(Object.keys(invoke).sort()).toEqual(Object.keys(procedures).sort());
  });

  it("the hand-written expectations agree with the permission table", () => {
    for (const [path, permission] of Object.entries(procedures)) {
      const derived = workspaceRoles.map((role) => (can(role, permission) ? O : F));
      expect([path, derived]).toEqual([path, expected[path]]);
    }
  });

  const cases = Object.keys(expected).flatMap((path) =>
    workspaceRoles.map((role, i) => [path, role, expected[path]![i]!] as const),
  );

  it.each(cases)("%s as %s → %s", async (path, role, outcome) => {
    const { f, call } = await fixture(role);
    const result = await invoke[path]!(call, f).then(
      () => "ok" as const,
      (error: unknown) => (error instanceof TRPCError ? error.code : `unexpected ${String(error)}`),
    );
    expect(result).toBe(outcome);
  });
});

/**
 * Instance administration, by hand as above: [instance admin, any other signed-in user]. The other
 * user owns a workspace (the highest workspace role), which gives no instance powers.
 */
const instanceExpected: Record<string, [TOutcome, TOutcome]> = {
  "instance.get": [O, F],
  "instance.update": [O, F],
  "instance.users.list": [O, F],
  "instance.users.setAdmin": [O, F],
  "instance.users.setDisabled": [O, F],
  "instance.users.endSessions": [O, F],
};

type TInstanceFixture = { targetUserId: string };

const instanceInvoke: Record<string, (call: ReturnType<typeof callerFor>, f: TInstanceFixture) => Promise<unknown>> = {
  "instance.get": (c) => c.instance.get(),
  // The value it already has: the setting is instance-wide and other test files share this database.
  "instance.update": (c) => c.instance.update({ hostComputeEnvs: "instance-admins" }),
  "instance.users.list": (c) => c.instance.users.list({ page: 1, pageSize: 5 }),
  "instance.users.setAdmin": (c, f) => c.instance.users.setAdmin({ userId: f.targetUserId, isInstanceAdmin: true }),
  "instance.users.setDisabled": (c, f) => c.instance.users.setDisabled({ userId: f.targetUserId, disabled: true }),
  "instance.users.endSessions": (c, f) => c.instance.users.endSessions({ userId: f.targetUserId }),
};

describe("role matrix: every instance-admin procedure × instance admin or not", () => {
  const procedures = procedureMeta()
    .filter(([, meta]) => meta.instanceAdmin)
    .map(([path]) => path)
    .sort();

  it("the hand-written expectations cover exactly the router's instance-admin procedures", () => {
    expect(procedures.length).toBeGreaterThan(0);
    expect(Object.keys(instanceExpected).sort()).toEqual(procedures);
    expect(Object.keys(instanceInvoke).sort()).toEqual(procedures);
    // None of them is also tenant-scoped (which would put a workspace role in charge of it).
    for (const [path, meta] of procedureMeta())
      if (meta.instanceAdmin) expect([path, meta.permission ?? meta.orgPermission ?? null]).toEqual([path, null]);
  });

  const cases = Object.keys(instanceExpected).flatMap((path) =>
    (["instance admin", "workspace owner"] as const).map((who, i) => [path, who, instanceExpected[path]![i]!] as const),
  );

  it.each(cases)("%s as %s → %s", async (path, who, outcome) => {
    const caller = await makePlainUser(db, who === "instance admin" ? "inst-admin" : "ws-owner");
    if (who === "instance admin") await makeInstanceAdmin(db, caller.id);
    const target = await makeUser(db, "inst-target");
    const result = await instanceInvoke[path]!(callerFor(db, caller.id), { targetUserId: target.id }).then(
      () => "ok" as const,
      (error: unknown) => (error instanceof TRPCError ? error.code : `unexpected ${String(error)}`),
    );
    expect(result).toBe(outcome);
  });
});
