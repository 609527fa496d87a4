import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, eq, findUserByEmail, schema, sql } from "@lockstep/db";
import { callerFor, makeAdmin, makeUser } from "./test/fixtures";

/** Dates leave the API as ISO 8601 strings. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );

async function team() {
  const owner = await makeUser(db, "owner");
  const asOwner = callerFor(db, owner.id, { ip: "198.51.100.20" });
  const org = await asOwner.orgs.create({ name: "Inv", slug: `inv-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Calls" });
  return { owner, asOwner, org, ws };
}

describe("adding someone is an invitation they accept or decline", () => {
  it("a workspace participant appears only once the invitee accepts; the invitation is theirs to see and answer", async () => {
    const { owner, asOwner, org, ws } = await team();
    const bob = await makeUser(db, "bob");
    const asBob = callerFor(db, bob.id);
    const invitation = await asOwner.workspaces.participants.add({
      workspaceId: ws.id,
      email: bob.email,
      role: "launch",
    });
    expect(invitation).toEqual({
      id: expect.any(String),
      email: bob.email,
      status: "pending",
      kind: "workspace",
      orgId: org.id,
      orgName: "Inv",
      workspaceId: ws.id,
      workspaceName: "Calls",
      role: "launch",
      invitedBy: { name: owner.name, email: owner.email },
      createdAt: expect.stringMatching(ISO),
      expiresAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(invitation.expiresAt) - Date.parse(invitation.createdAt)).toBeGreaterThan(13.9 * 86_400_000);

    // Nothing joined yet: not in the participants, not a member, the workspace invisible to Bob.
    expect((await asOwner.workspaces.participants.list({ workspaceId: ws.id })).map((p) => p.email)).toEqual([
      owner.email,
    ]);
    expect(
      (await asOwner.workspaces.participants.invitations.list({ workspaceId: ws.id })).map((i) => [
        i.id,
        i.email,
        i.role,
      ]),
    ).toEqual([[invitation.id, bob.email, "launch"]]);
    expect(await codeOf(asBob.workspaces.get({ workspaceId: ws.id }))).toBe("NOT_FOUND");
    expect(await asBob.orgs.list()).toEqual([]);
    expect((await asBob.invitations.list()).map((i) => i.id)).toEqual([invitation.id]);

    // Someone else cannot answer it (and cannot tell it exists).
    const eve = await makeUser(db, "eve");
    expect(await codeOf(callerFor(db, eve.id).invitations.accept({ invitationId: invitation.id }))).toBe("NOT_FOUND");
    expect(await codeOf(asOwner.invitations.accept({ invitationId: invitation.id }))).toBe("NOT_FOUND");
    expect(await callerFor(db, eve.id).invitations.list()).toEqual([]);

    // Bob accepts: now he participates with the invited role, and joined the org as a collaborator.
    expect(await asBob.invitations.accept({ invitationId: invitation.id })).toMatchObject({
      id: invitation.id,
      status: "accepted",
    });
    expect((await asBob.workspaces.get({ workspaceId: ws.id })).role).toBe("launch");
    expect((await asBob.orgs.get({ orgId: org.id })).role).toBe("collaborator");
    expect(
      (await asOwner.workspaces.participants.list({ workspaceId: ws.id })).map((p) => [p.email, p.role]).sort(),
    ).toEqual(
      [
        [owner.email, "owner"],
        [bob.email, "launch"],
      ].sort(),
    );
    expect(await asBob.invitations.list()).toEqual([]);
    expect(await asOwner.workspaces.participants.invitations.list({ workspaceId: ws.id })).toEqual([]);
    // Answered once only.
    expect(await codeOf(asBob.invitations.accept({ invitationId: invitation.id }))).toBe("NOT_FOUND");
    expect(await codeOf(asBob.invitations.decline({ invitationId: invitation.id }))).toBe("NOT_FOUND");

    // In the workspace's Activity: who invited whom, and the answer.
    const { items } = await asOwner.audit.list({ workspaceId: ws.id });
    expect(items.map((e) => [e.action, e.actorEmail, e.targetName, e.detail.role])).toEqual([
      ["invitation.accepted", bob.email, bob.email, "launch"],
      ["participant.invited", owner.email, bob.email, "launch"],
    ]);
    expect(items[1]!.ip).toBe("198.51.100.20");
  });

  it("answers the same whether or not an account uses the email (no enumeration)", async () => {
    const { asOwner, org, ws } = await team();
    const bob = await makeUser(db, "bob");
    const nobody = `nobody-${randomUUID().slice(0, 8)}@example.test`;
    const shape = (i: Record<string, unknown>) =>
      Object.fromEntries(
        Object.entries(i).map(([k, v]) => [k, ["id", "email", "createdAt", "expiresAt"].includes(k) ? typeof v : v]),
      );
    for (const add of [
      (email: string) => asOwner.workspaces.participants.add({ workspaceId: ws.id, email, role: "view" }),
      (email: string) => asOwner.orgs.members.add({ orgId: org.id, email, role: "member" }),
    ]) {
      const known = await add(bob.email);
      const unknown = await add(nobody);
      expect(shape(unknown)).toEqual(shape(known));
      expect(JSON.stringify(known)).not.toContain(bob.id);
      expect(JSON.stringify(known)).not.toContain(bob.name);
      expect(await codeOf(add(nobody))).toBe("CONFLICT");
      expect(await codeOf(add(bob.email))).toBe("CONFLICT");
    }
  });

  it("an org invitation makes a member on acceptance; declining leaves no trace of membership", async () => {
    const { asOwner, org } = await team();
    const carol = await makeUser(db, "carol");
    const dave = await makeUser(db, "dave");
    const toCarol = await asOwner.orgs.members.add({ orgId: org.id, email: carol.email, role: "owner" });
    const toDave = await asOwner.orgs.members.add({ orgId: org.id, email: dave.email });
    expect(toDave).toMatchObject({ kind: "organization", role: "member", workspaceId: null, workspaceName: null });
    expect((await asOwner.orgs.members.list({ orgId: org.id })).map((m) => m.email)).not.toContain(carol.email);
    expect((await asOwner.orgs.members.invitations.list({ orgId: org.id })).map((i) => i.email).sort()).toEqual(
      [carol.email, dave.email].sort(),
    );

    await callerFor(db, carol.id).invitations.accept({ invitationId: toCarol.id });
    expect((await callerFor(db, carol.id).orgs.get({ orgId: org.id })).role).toBe("owner");
    expect(await callerFor(db, dave.id).invitations.decline({ invitationId: toDave.id })).toMatchObject({
      status: "declined",
    });
    expect(await callerFor(db, dave.id).orgs.list()).toEqual([]);
    expect(await codeOf(callerFor(db, dave.id).invitations.accept({ invitationId: toDave.id }))).toBe("NOT_FOUND");
    expect(await asOwner.orgs.members.invitations.list({ orgId: org.id })).toEqual([]);
    // Declined, Dave can be invited again.
    expect(await codeOf(asOwner.orgs.members.add({ orgId: org.id, email: dave.email }))).toBe("ok");
  });

  it("a revoked invitation cannot be accepted; an admin revokes only what they could grant", async () => {
    const { asOwner, ws } = await team();
    const admin = await makeUser(db, "admin");
    const invitedAdmin = await asOwner.workspaces.participants.add({
      workspaceId: ws.id,
      email: admin.email,
      role: "admin",
    });
    await callerFor(db, admin.id).invitations.accept({ invitationId: invitedAdmin.id });
    const frank = await makeUser(db, "frank");
    const toOwner = await asOwner.workspaces.participants.add({
      workspaceId: ws.id,
      email: `boss-${randomUUID().slice(0, 8)}@example.test`,
      role: "owner",
    });
    const toFrank = await asOwner.workspaces.participants.add({ workspaceId: ws.id, email: frank.email, role: "view" });
    const asAdmin = callerFor(db, admin.id);
    expect(
      await codeOf(
        asAdmin.workspaces.participants.invitations.revoke({ workspaceId: ws.id, invitationId: toOwner.id }),
      ),
    ).toBe("FORBIDDEN");
    expect(
      await asAdmin.workspaces.participants.invitations.revoke({ workspaceId: ws.id, invitationId: toFrank.id }),
    ).toMatchObject({ status: "revoked" });
    expect(await codeOf(callerFor(db, frank.id).invitations.accept({ invitationId: toFrank.id }))).toBe("NOT_FOUND");
    expect(await codeOf(callerFor(db, frank.id).workspaces.get({ workspaceId: ws.id }))).toBe("NOT_FOUND");
    expect((await asOwner.workspaces.participants.invitations.list({ workspaceId: ws.id })).map((i) => i.id)).toEqual([
      toOwner.id,
    ]);
    expect(
      (await asOwner.audit.list({ workspaceId: ws.id, action: "invitation.revoked" })).items.map((e) => [
        e.actorEmail,
        e.targetName,
      ]),
    ).toEqual([[admin.email, frank.email]]);
  });

  it("expires after 14 days: no longer listed, accepted or good for sign-up; a new one can be sent", async () => {
    await makeAdmin(db); // an instance with an admin: sign-up follows the policy
    const { asOwner, ws } = await team();
    const newcomer = `late-${randomUUID().slice(0, 8)}@example.test`;
    const punctual = `punctual-${randomUUID().slice(0, 8)}@example.test`;
    const invitation = await asOwner.workspaces.participants.add({ workspaceId: ws.id, email: newcomer, role: "view" });
    await asOwner.workspaces.participants.add({ workspaceId: ws.id, email: punctual, role: "view" });
    await db
      .update(schema.invitations)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(schema.invitations.id, invitation.id));
    const signUp = (email: string) =>
      callerFor(db, null, { config: { signup: "invite" } }).auth.signUp({
        email,
        name: "Late",
        password: "long enough pw",
      });
    expect(await codeOf(signUp(newcomer))).toBe("FORBIDDEN");
    expect(await findUserByEmail(db, newcomer)).toBeNull();
    // Positive control: a live invitation lets its email sign up.
    expect(await codeOf(signUp(punctual))).toBe("ok");
    expect(
      (await asOwner.workspaces.participants.invitations.list({ workspaceId: ws.id })).map((i) => i.email),
    ).toEqual([punctual]);
    await asOwner.workspaces.participants.invitations.revoke({
      workspaceId: ws.id,
      invitationId: (await asOwner.workspaces.participants.invitations.list({ workspaceId: ws.id }))[0]!.id,
    });
    expect(await asOwner.workspaces.participants.invitations.list({ workspaceId: ws.id })).toEqual([]);
    const again = await asOwner.workspaces.participants.add({ workspaceId: ws.id, email: newcomer, role: "view" });
    const [old] = await db.select().from(schema.invitations).where(eq(schema.invitations.id, invitation.id));
    expect(old!.status).toBe("expired");
    await db
      .update(schema.invitations)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(schema.invitations.id, again.id));
    const user = await makeUser(db, "late");
    await db.update(schema.users).set({ email: newcomer }).where(eq(schema.users.id, user.id));
    expect(await callerFor(db, user.id).invitations.list()).toEqual([]);
    expect(await codeOf(callerFor(db, user.id).invitations.accept({ invitationId: again.id }))).toBe("NOT_FOUND");
  });
});
