import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, sql } from "@lockstep/db";
import {
  addOrgMember,
  addParticipant,
  callerFor,
  makeInstanceAdmin,
  makeUser,
  pipelinesRoot,
  procedureMeta,
} from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

async function codeOf(promise: Promise<unknown>) {
  return promise.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : `unexpected ${String(e)}`),
  );
}

describe("cross-tenant isolation", () => {
  it("a user of org A gets NOT_FOUND for every org- and workspace-scoped procedure on org B's ids", async () => {
    const alice = await makeUser(db, "alice");
    const bob = await makeUser(db, "bob");
    // Bob sets up local environments (an instance-admin action) and launches on one in his personal workspace.
    await makeInstanceAdmin(db, bob.id);
    const asAlice = callerFor(db, alice.id);
    const asBob = callerFor(db, bob.id);
    await asAlice.orgs.create({ name: "Org A" });
    const orgB = await asBob.orgs.create({ name: "Org B" });
    const wsB = await asBob.workspaces.create({ orgId: orgB.id, name: "B private" });
    const sharedB = await asBob.workspaces.create({ orgId: orgB.id, name: "B shared", visibility: "shared" });
    const secretIds = new Map<string, string>();
    const ids = new Map<string, { ce: string; pipeline: string; run: string; credential: string; webhook: string }>();
    const awsKey = JSON.stringify({
      accessKeyId: "AKIAABCDEFGHIJKLMNOP",
      secretAccessKey: "0123456789abcdef0123456789abcdef",
    });
    for (const ws of [wsB.id, sharedB.id, bob.personalWorkspaceId]) {
      secretIds.set(
        ws,
        (await asBob.secrets.create({ workspaceId: ws, name: "B_SECRET", value: { plain: "b-value" } })).id,
      );
      const ce = await asBob.computeEnvs.create({
        workspaceId: ws,
        computeEnv: { kind: "local", name: "B env", workDir: "/tmp/lockstep-b", nextflowVersion: "24.10.5" },
      });
      const pipeline = await asBob.pipelines.create({
        workspaceId: ws,
        pipeline: { name: "b-pipe", repository: join(pipelinesRoot, "sleeps"), defaultComputeEnvId: ce.id },
      });
      // "All": the workspace lacks the DB_PASSWORD the pipeline needs, which a default launch refuses.
      const run = await asBob.runs.launch({ workspaceId: ws, pipelineId: pipeline.id, secrets: { mode: "all" } });
      const credential = await asBob.credentials.create({
        workspaceId: ws,
        name: "b-aws",
        provider: "aws",
        value: { plain: awsKey },
      });
      const webhook = await asBob.webhooks.create({
        workspaceId: ws,
        url: "https://hooks.example.test/b",
        events: ["secret.created"],
      });
      ids.set(ws, {
        ce: ce.id,
        pipeline: pipeline.id,
        run: run.id,
        credential: credential.id,
        webhook: webhook.endpoint.id,
      });
    }

    // Pending invitations on B's side, for the invitation procedures to aim at.
    const orgInvitation = await asBob.orgs.members.add({
      orgId: orgB.id,
      email: `invitee-${orgB.id.slice(0, 8)}@example.test`,
    });
    const invitationIds = new Map<string, string>([[bob.personalWorkspaceId, orgInvitation.id]]);
    for (const ws of [wsB.id, sharedB.id]) {
      invitationIds.set(
        ws,
        (
          await asBob.workspaces.participants.add({
            workspaceId: ws,
            email: `invitee-${ws.slice(0, 8)}@example.test`,
            role: "view",
          })
        ).id,
      );
    }

    const orgIds = { orgId: orgB.id };
    const calls: Record<string, (ws: string) => Promise<unknown>> = {
      "orgs.get": () => asAlice.orgs.get(orgIds),
      "orgs.update": () => asAlice.orgs.update({ ...orgIds, name: "pwned" }),
      "orgs.delete": () => asAlice.orgs.delete(orgIds),
      "orgs.members.list": () => asAlice.orgs.members.list(orgIds),
      "orgs.members.add": () => asAlice.orgs.members.add({ ...orgIds, email: alice.email }),
      "orgs.members.updateRole": () => asAlice.orgs.members.updateRole({ ...orgIds, userId: bob.id, role: "member" }),
      "orgs.members.remove": () => asAlice.orgs.members.remove({ ...orgIds, userId: bob.id }),
      "orgs.members.invitations.list": () => asAlice.orgs.members.invitations.list(orgIds),
      "orgs.members.invitations.revoke": () =>
        asAlice.orgs.members.invitations.revoke({ ...orgIds, invitationId: orgInvitation.id }),
      "workspaces.create": () => asAlice.workspaces.create({ ...orgIds, name: "intruder" }),
      "workspaces.get": (ws) => asAlice.workspaces.get({ workspaceId: ws }),
      "workspaces.update": (ws) => asAlice.workspaces.update({ workspaceId: ws, name: "pwned" }),
      "workspaces.delete": (ws) => asAlice.workspaces.delete({ workspaceId: ws }),
      "workspaces.participants.list": (ws) => asAlice.workspaces.participants.list({ workspaceId: ws }),
      "workspaces.participants.add": (ws) =>
        asAlice.workspaces.participants.add({ workspaceId: ws, email: alice.email, role: "owner" }),
      "workspaces.participants.updateRole": (ws) =>
        asAlice.workspaces.participants.updateRole({ workspaceId: ws, userId: bob.id, role: "view" }),
      "workspaces.participants.remove": (ws) =>
        asAlice.workspaces.participants.remove({ workspaceId: ws, userId: bob.id }),
      "workspaces.participants.invitations.list": (ws) =>
        asAlice.workspaces.participants.invitations.list({ workspaceId: ws }),
      "workspaces.participants.invitations.revoke": (ws) =>
        asAlice.workspaces.participants.invitations.revoke({ workspaceId: ws, invitationId: invitationIds.get(ws)! }),
      "secrets.list": (ws) => asAlice.secrets.list({ workspaceId: ws }),
      "secrets.history": (ws) => asAlice.secrets.history({ workspaceId: ws, secretId: secretIds.get(ws)! }),
      "secrets.validateName": (ws) => asAlice.secrets.validateName({ workspaceId: ws, name: "B_SECRET" }),
      "secrets.create": (ws) => asAlice.secrets.create({ workspaceId: ws, name: "INJECTED", value: { plain: "x" } }),
      "secrets.update": (ws) =>
        asAlice.secrets.update({ workspaceId: ws, secretId: secretIds.get(ws)!, value: { plain: "x" } }),
      "secrets.delete": (ws) => asAlice.secrets.delete({ workspaceId: ws, secretId: secretIds.get(ws)! }),
      "secrets.import": (ws) =>
        asAlice.secrets.import({ workspaceId: ws, entries: [{ line: 1, name: "INJECTED", value: { plain: "x" } }] }),
      "audit.list": (ws) => asAlice.audit.list({ workspaceId: ws }),
      "computeEnvs.list": (ws) => asAlice.computeEnvs.list({ workspaceId: ws }),
      "computeEnvs.get": (ws) => asAlice.computeEnvs.get({ workspaceId: ws, computeEnvId: ids.get(ws)!.ce }),
      "computeEnvs.create": (ws) =>
        asAlice.computeEnvs.create({
          workspaceId: ws,
          computeEnv: { kind: "local", name: "x", workDir: "/tmp/x", nextflowVersion: "24.10.5" },
        }),
      "computeEnvs.update": (ws) =>
        asAlice.computeEnvs.update({
          workspaceId: ws,
          computeEnvId: ids.get(ws)!.ce,
          computeEnv: { kind: "local", name: "x", workDir: "/tmp/x", nextflowVersion: "24.10.5" },
        }),
      "computeEnvs.check": (ws) => asAlice.computeEnvs.check({ workspaceId: ws, computeEnvId: ids.get(ws)!.ce }),
      "computeEnvs.confirmHostKey": (ws) =>
        asAlice.computeEnvs.confirmHostKey({
          workspaceId: ws,
          computeEnvId: ids.get(ws)!.ce,
          fingerprint: `SHA256:${"A".repeat(43)}`,
        }),
      "computeEnvs.delete": (ws) => asAlice.computeEnvs.delete({ workspaceId: ws, computeEnvId: ids.get(ws)!.ce }),
      "pipelines.list": (ws) => asAlice.pipelines.list({ workspaceId: ws }),
      "pipelines.get": (ws) => asAlice.pipelines.get({ workspaceId: ws, pipelineId: ids.get(ws)!.pipeline }),
      "pipelines.create": (ws) =>
        asAlice.pipelines.create({ workspaceId: ws, pipeline: { name: "x", repository: "/x" } }),
      "pipelines.update": (ws) =>
        asAlice.pipelines.update({
          workspaceId: ws,
          pipelineId: ids.get(ws)!.pipeline,
          pipeline: { name: "x", repository: "/x" },
        }),
      "pipelines.delete": (ws) => asAlice.pipelines.delete({ workspaceId: ws, pipelineId: ids.get(ws)!.pipeline }),
      "runs.effectiveSecrets": (ws) => asAlice.runs.effectiveSecrets({ workspaceId: ws }),
      "runs.launch": (ws) => asAlice.runs.launch({ workspaceId: ws, pipelineId: ids.get(ws)!.pipeline }),
      "runs.list": (ws) => asAlice.runs.list({ workspaceId: ws }),
      "runs.get": (ws) => asAlice.runs.get({ workspaceId: ws, runId: ids.get(ws)!.run }),
      // The push channel: opening a stream on another tenant's workspace is refused before anything is subscribed.
      "runs.onChange": (ws) => asAlice.runs.onChange({ workspaceId: ws }),
      "runs.cancel": (ws) => asAlice.runs.cancel({ workspaceId: ws, runId: ids.get(ws)!.run }),
      "runs.logs": (ws) => asAlice.runs.logs({ workspaceId: ws, runId: ids.get(ws)!.run }),
      "runs.receipt": (ws) => asAlice.runs.receipt({ workspaceId: ws, runId: ids.get(ws)!.run }),
      "runs.secretVersions": (ws) => asAlice.runs.secretVersions({ workspaceId: ws, runId: ids.get(ws)!.run }),
      "credentials.list": (ws) => asAlice.credentials.list({ workspaceId: ws }),
      "credentials.create": (ws) =>
        asAlice.credentials.create({ workspaceId: ws, name: "x", provider: "aws", value: { plain: awsKey } }),
      "credentials.update": (ws) =>
        asAlice.credentials.update({
          workspaceId: ws,
          credentialId: ids.get(ws)!.credential,
          value: { plain: awsKey },
        }),
      "credentials.delete": (ws) =>
        asAlice.credentials.delete({ workspaceId: ws, credentialId: ids.get(ws)!.credential }),
      "webhooks.list": (ws) => asAlice.webhooks.list({ workspaceId: ws }),
      "webhooks.deliveries": (ws) => asAlice.webhooks.deliveries({ workspaceId: ws, endpointId: ids.get(ws)!.webhook }),
      "webhooks.create": (ws) =>
        asAlice.webhooks.create({ workspaceId: ws, url: "https://evil.example.test/", events: ["secret.created"] }),
      "webhooks.update": (ws) =>
        asAlice.webhooks.update({
          workspaceId: ws,
          endpointId: ids.get(ws)!.webhook,
          url: "https://evil.example.test/",
        }),
      "webhooks.delete": (ws) => asAlice.webhooks.delete({ workspaceId: ws, endpointId: ids.get(ws)!.webhook }),
      "webhooks.rotateSecret": (ws) =>
        asAlice.webhooks.rotateSecret({ workspaceId: ws, endpointId: ids.get(ws)!.webhook }),
      "webhooks.test": (ws) => asAlice.webhooks.test({ workspaceId: ws, endpointId: ids.get(ws)!.webhook }),
    };

    // Every tenant-scoped procedure of the router is covered here.
    const scoped = procedureMeta()
      .filter(([, meta]) => Boolean(meta.permission || meta.orgPermission))
      .map(([path]) => path)
      .sort();
    expect(Object.keys(calls).sort()).toEqual(scoped);

    for (const ws of [wsB.id, sharedB.id, bob.personalWorkspaceId]) {
      for (const [path, call] of Object.entries(calls)) {
        expect([path, ws, await codeOf(call(ws))]).toEqual([path, ws, "NOT_FOUND"]);
      }
    }
    // Nothing changed on B's side.
    for (const ws of [wsB.id, sharedB.id, bob.personalWorkspaceId]) {
      expect((await asBob.secrets.list({ workspaceId: ws })).map((x) => x.name)).toEqual(["B_SECRET"]);
    }
    expect((await asBob.orgs.get(orgIds)).name).toBe("Org B");
    expect((await asBob.workspaces.list()).map((w) => w.name)).toEqual(
      expect.arrayContaining(["B private", "B shared"]),
    );
    expect((await asAlice.workspaces.list()).some((w) => w.orgId === orgB.id)).toBe(false);
    // B's invitations are all still pending.
    expect((await asBob.orgs.members.invitations.list(orgIds)).map((i) => i.id)).toEqual([orgInvitation.id]);
    for (const ws of [wsB.id, sharedB.id]) {
      expect((await asBob.workspaces.participants.invitations.list({ workspaceId: ws })).map((i) => i.id)).toEqual([
        invitationIds.get(ws),
      ]);
    }
  });

  it("another user's access token cannot be revoked (NOT_FOUND)", async () => {
    const alice = await makeUser(db, "alice");
    const bob = await makeUser(db, "bob");
    const { accessToken } = await callerFor(db, bob.id).me.tokens.create({ name: "ci" });
    expect(await codeOf(callerFor(db, alice.id).me.tokens.revoke({ tokenId: accessToken.id }))).toBe("NOT_FOUND");
    expect((await callerFor(db, bob.id).me.tokens.list()).map((t) => t.id)).toEqual([accessToken.id]);
  });
});

describe("organizations and workspaces", () => {
  it("the creator owns a new org; the last owner can neither leave nor be demoted", async () => {
    const alice = await makeUser(db, "alice");
    const bob = await makeUser(db, "bob");
    const asAlice = callerFor(db, alice.id);
    const org = await asAlice.orgs.create({ name: "Genomics Core" });
    expect(org).toMatchObject({ slug: "genomics-core", role: "owner" });
    expect(await codeOf(asAlice.orgs.members.updateRole({ orgId: org.id, userId: alice.id, role: "member" }))).toBe(
      "CONFLICT",
    );
    expect(await codeOf(asAlice.orgs.members.remove({ orgId: org.id, userId: alice.id }))).toBe("CONFLICT");
    await addOrgMember(db, asAlice, { orgId: org.id, user: bob, role: "owner" });
    await asAlice.orgs.members.updateRole({ orgId: org.id, userId: alice.id, role: "member" });
    const members = await callerFor(db, bob.id).orgs.members.list({ orgId: org.id });
    expect(members.map((m) => [m.email, m.role]).sort()).toEqual(
      [
        [alice.email, "member"],
        [bob.email, "owner"],
      ].sort(),
    );
  });

  it("a duplicate org short name is a CONFLICT, and inviting an email twice a CONFLICT naming the field", async () => {
    const alice = await makeUser(db, "alice");
    const asAlice = callerFor(db, alice.id);
    const org = await asAlice.orgs.create({ name: "Dup", slug: `dup-${alice.id.slice(0, 8)}` });
    expect(await codeOf(asAlice.orgs.create({ name: "Dup", slug: org.slug }))).toBe("CONFLICT");
    await asAlice.orgs.members.add({ orgId: org.id, email: `nobody-${alice.id.slice(0, 8)}@example.test` });
    const error = await asAlice.orgs.members
      .add({ orgId: org.id, email: `nobody-${alice.id.slice(0, 8)}@example.test` })
      .catch((e: TRPCError) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("CONFLICT");
    expect((error as TRPCError).message).toMatch(/^email: .* already has a pending invitation to this organization\.$/);
    // Inviting a collaborator to be a member is a role change: the answer says where they stand.
    const carol = await makeUser(db, "carol");
    await addOrgMember(db, asAlice, { orgId: org.id, user: carol, role: "collaborator" });
    const upgrade = await asAlice.orgs.members
      .add({ orgId: org.id, email: carol.email, role: "member" })
      .catch((e: TRPCError) => e);
    expect((upgrade as TRPCError).code).toBe("CONFLICT");
    expect((upgrade as TRPCError).message).toBe(
      `email: ${carol.email} is already in this organization as a collaborator; change their role to member in the members list instead of inviting them.`,
    );
  });

  it("renaming an org or a workspace to a sibling's name is a CONFLICT on the name field, as creating it is", async () => {
    const alice = await makeUser(db, "alice");
    const bob = await makeUser(db, "bob");
    const asAlice = callerFor(db, alice.id);
    const tag = alice.id.slice(0, 8);
    const first = await asAlice.orgs.create({ name: `Rename One ${tag}` });
    const second = await asAlice.orgs.create({ name: `Rename Two ${tag}` });
    expect(await codeOf(asAlice.orgs.create({ name: first.name }))).toBe("CONFLICT");

    // The org: to the other's name, in another case, or to a name whose short name is taken.
    for (const name of [first.name, first.name.toUpperCase(), `rename-one-${tag}`]) {
      const error = await asAlice.orgs.update({ orgId: second.id, name }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("CONFLICT");
      expect((error as TRPCError).message).toMatch(/^name: An organization named .* already exists\.$/);
    }
    expect((await asAlice.orgs.get({ orgId: second.id })).name).toBe(second.name);
    // Keeping its own name, or a free one, is still a rename.
    expect((await asAlice.orgs.update({ orgId: second.id, name: second.name, description: "same name" })).name).toBe(
      second.name,
    );
    expect((await asAlice.orgs.update({ orgId: second.id, name: `Rename Three ${tag}` })).name).toBe(
      `Rename Three ${tag}`,
    );

    // The workspace: siblings in one org, renamed by an admin participant who is not the org owner.
    const build = await asAlice.workspaces.create({ orgId: first.id, name: "Build" });
    const deploy = await asAlice.workspaces.create({ orgId: first.id, name: "Deploy" });
    expect(await codeOf(asAlice.workspaces.create({ orgId: first.id, name: "Build" }))).toBe("CONFLICT");
    await addOrgMember(db, asAlice, { orgId: first.id, user: bob, role: "member" });
    await addParticipant(db, asAlice, { workspaceId: deploy.id, user: bob, role: "admin" });
    const asBob = callerFor(db, bob.id);
    for (const name of ["Build", "build", "BUILD!"]) {
      const error = await asBob.workspaces.update({ workspaceId: deploy.id, name }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(TRPCError);
      expect((error as TRPCError).code).toBe("CONFLICT");
      expect((error as TRPCError).message).toMatch(/^name: This organization already has a workspace named .*\.$/);
    }
    expect((await asBob.workspaces.get({ workspaceId: deploy.id })).name).toBe("Deploy");
    // The same name in another org is no sibling.
    const other = await asAlice.workspaces.create({ orgId: second.id, name: "Other" });
    expect((await asAlice.workspaces.update({ workspaceId: other.id, name: "Build" })).name).toBe("Build");
    expect((await asAlice.workspaces.update({ workspaceId: build.id, name: "Build", description: "kept" })).name).toBe(
      "Build",
    );
  });

  it("settings, role and membership changes are in the Activity, with who and what changed", async () => {
    const alice = await makeUser(db, "alice");
    const bob = await makeUser(db, "bob");
    const asAlice = callerFor(db, alice.id);
    const org = await asAlice.orgs.create({ name: `Logged ${alice.id.slice(0, 8)}` });
    const ws = await asAlice.workspaces.create({ orgId: org.id, name: "Logged" });
    await addOrgMember(db, asAlice, { orgId: org.id, user: bob, role: "collaborator" });
    await addParticipant(db, asAlice, { workspaceId: ws.id, user: bob, role: "launch" });
    await asAlice.workspaces.update({
      workspaceId: ws.id,
      name: "Logged renamed",
      visibility: "shared",
      description: "",
    });
    await asAlice.workspaces.participants.updateRole({ workspaceId: ws.id, userId: bob.id, role: "maintainer" });
    await asAlice.workspaces.participants.remove({ workspaceId: ws.id, userId: bob.id });
    await asAlice.orgs.members.updateRole({ orgId: org.id, userId: bob.id, role: "member" });
    await asAlice.orgs.update({ orgId: org.id, description: "now described" });
    await asAlice.orgs.members.remove({ orgId: org.id, userId: bob.id });

    const { items } = await asAlice.audit.list({ workspaceId: ws.id, limit: 50 });
    const byAction = new Map(items.map((e) => [e.action, e]));
    expect(items.map((e) => e.action)).toEqual(
      expect.arrayContaining([
        "participant.invited",
        "invitation.accepted",
        "workspace.updated",
        "participant.role_changed",
        "participant.removed",
      ]),
    );
    expect(byAction.get("workspace.updated")).toMatchObject({
      actorEmail: alice.email,
      targetName: "Logged renamed",
      detail: { changed: ["name", "visibility"] },
    });
    expect(byAction.get("participant.role_changed")).toMatchObject({
      targetName: bob.email,
      detail: { from: "launch", to: "maintainer" },
    });
    expect(byAction.get("participant.removed")).toMatchObject({
      targetName: bob.email,
      detail: { role: "maintainer" },
    });
    // Org-level events are recorded too (no workspace's Activity shows them).
    const orgEvents = await db.execute<{ action: string; detail: Record<string, unknown> }>(
      sql`select action, detail from audit_events where target_id in (${org.id}, ${bob.id}) and action in ('org.updated', 'member.role_changed', 'member.removed') order by seq`,
    );
    expect([...orgEvents].map((e) => [e.action, e.detail])).toEqual([
      ["member.role_changed", { from: "collaborator", to: "member" }],
      ["org.updated", { changed: ["description"] }],
      ["member.removed", { role: "member" }],
    ]);
  });

  it("shared workspaces are visible to org members as view; collaborators see only their own", async () => {
    const owner = await makeUser(db, "owner");
    const member = await makeUser(db, "member");
    const outsider = await makeUser(db, "outsider");
    const asOwner = callerFor(db, owner.id);
    const org = await asOwner.orgs.create({ name: "Vis", slug: `vis-${owner.id.slice(0, 8)}` });
    await addOrgMember(db, asOwner, { orgId: org.id, user: member, role: "member" });
    const shared = await asOwner.workspaces.create({ orgId: org.id, name: "Shared", visibility: "shared" });
    const secret = await asOwner.workspaces.create({ orgId: org.id, name: "Private" });
    await addParticipant(db, asOwner, { workspaceId: secret.id, user: outsider, role: "launch" });

    const memberSees = await callerFor(db, member.id).workspaces.list({ orgId: org.id });
    expect(memberSees.map((w) => [w.name, w.role])).toEqual([["Shared", "view"]]);
    const collaboratorSees = await callerFor(db, outsider.id).workspaces.list({ orgId: org.id });
    expect(collaboratorSees.map((w) => [w.name, w.role])).toEqual([["Private", "launch"]]);
    // The outsider joined the org as a collaborator, who may not list its members.
    expect((await callerFor(db, outsider.id).orgs.get({ orgId: org.id })).role).toBe("collaborator");
    expect(await codeOf(callerFor(db, outsider.id).orgs.members.list({ orgId: org.id }))).toBe("FORBIDDEN");
    expect(await codeOf(callerFor(db, outsider.id).workspaces.get({ workspaceId: shared.id }))).toBe("NOT_FOUND");
  });

  it("every user has a personal workspace that nobody else can join or see", async () => {
    const alice = await makeUser(db, "alice");
    const bob = await makeUser(db, "bob");
    const mine = await callerFor(db, alice.id).workspaces.get({ workspaceId: alice.personalWorkspaceId });
    expect(mine).toMatchObject({ personal: true, role: "owner", orgId: null });
    expect(
      await codeOf(
        callerFor(db, alice.id).workspaces.participants.add({
          workspaceId: alice.personalWorkspaceId,
          email: bob.email,
          role: "view",
        }),
      ),
    ).toBe("BAD_REQUEST");
    expect(await codeOf(callerFor(db, alice.id).workspaces.delete({ workspaceId: alice.personalWorkspaceId }))).toBe(
      "BAD_REQUEST",
    );
  });

  it("an admin cannot grant the owner role", async () => {
    const owner = await makeUser(db, "owner");
    const admin = await makeUser(db, "admin");
    const other = await makeUser(db, "other");
    const asOwner = callerFor(db, owner.id);
    const org = await asOwner.orgs.create({ name: "Esc", slug: `esc-${owner.id.slice(0, 8)}` });
    const ws = await asOwner.workspaces.create({ orgId: org.id, name: "W" });
    await addParticipant(db, asOwner, { workspaceId: ws.id, user: admin, role: "admin" });
    expect(
      await codeOf(
        callerFor(db, admin.id).workspaces.participants.add({ workspaceId: ws.id, email: other.email, role: "owner" }),
      ),
    ).toBe("FORBIDDEN");
    // Positive control: the role they hold, they can hand out.
    expect(
      await codeOf(
        callerFor(db, admin.id).workspaces.participants.add({ workspaceId: ws.id, email: other.email, role: "admin" }),
      ),
    ).toBe("ok");
  });

  it("without a session or token every procedure but sign-up answers UNAUTHORIZED", async () => {
    const anonymous = callerFor(db, null);
    expect(await codeOf(anonymous.me.get())).toBe("UNAUTHORIZED");
    expect(await codeOf(anonymous.orgs.list())).toBe("UNAUTHORIZED");
    expect(await codeOf(anonymous.workspaces.list())).toBe("UNAUTHORIZED");
  });
});
