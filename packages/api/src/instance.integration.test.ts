import { TRPCError } from "@trpc/server";
import { describe, expect, inject, it } from "vitest";
import { findUserById, setUserDisabled } from "@lockstep/db";
import { callerFor, freshDatabase, makeAdmin, makeUser, pipelinesRoot } from "./test/fixtures";

/** Dates leave the API as ISO 8601 strings. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: TRPCError) => ({ code: e.code, message: e.message }),
  );

/** An empty instance of its own: the users list and the admin count are exact. */
async function instance() {
  const fresh = await freshDatabase(inject("databaseUrl"));
  const admin = await makeAdmin(fresh.db, "admin"); // the instance admin (the first account, which claimed the instance)
  const others = [];
  for (let i = 0; i < 4; i++) others.push(await makeUser(fresh.db, `user${i}`));
  return { ...fresh, admin, others, asAdmin: callerFor(fresh.db, admin.id, { ip: "198.51.100.7" }) };
}

describe("instance settings (instance admins only)", () => {
  it("every instance procedure answers FORBIDDEN to a signed-in non-admin and UNAUTHORIZED to nobody; the admin gets through (positive control)", async () => {
    const { db, close, admin, others } = await instance();
    try {
      const calls = {
        "instance.get": (c: ReturnType<typeof callerFor>) => c.instance.get(),
        "instance.update": (c: ReturnType<typeof callerFor>) =>
          c.instance.update({ hostComputeEnvs: "instance-admins" }),
        "instance.users.list": (c: ReturnType<typeof callerFor>) => c.instance.users.list(),
        "instance.users.setAdmin": (c: ReturnType<typeof callerFor>) =>
          c.instance.users.setAdmin({ userId: admin.id, isInstanceAdmin: true }),
        "instance.users.setDisabled": (c: ReturnType<typeof callerFor>) =>
          c.instance.users.setDisabled({ userId: others[1]!.id, disabled: false }),
        "instance.users.endSessions": (c: ReturnType<typeof callerFor>) =>
          c.instance.users.endSessions({ userId: others[1]!.id }),
      };
      for (const [path, call] of Object.entries(calls)) {
        expect([path, await codeOf(call(callerFor(db, others[0]!.id)))]).toEqual([path, "FORBIDDEN"]);
        expect([path, await codeOf(call(callerFor(db, null)))]).toEqual([path, "UNAUTHORIZED"]);
        expect([path, await codeOf(call(callerFor(db, admin.id)))]).toEqual([path, "ok"]);
      }
      const refused = await errorOf(
        callerFor(db, others[0]!.id).instance.users.setAdmin({ userId: others[0]!.id, isInstanceAdmin: true }),
      );
      expect(refused).toEqual({
        code: "FORBIDDEN",
        message: "Only an instance admin can do this; ask one of this instance's admins.",
      });
      expect((await findUserById(db, others[0]!.id))!.isInstanceAdmin).toBe(false);
    } finally {
      await close();
    }
  });

  it("shows the setting (default instance-admins), the configured pipeline roots and who changed what", async () => {
    const { close, admin, asAdmin } = await instance();
    try {
      expect(await asAdmin.instance.get()).toEqual({
        hostComputeEnvs: "instance-admins",
        signup: { policy: "invite", saved: null, environment: "invite" },
        webhooks: { allowHttp: false, allowedNetworks: [] },
        updatedAt: null,
        updatedBy: null,
        localPipelineRoots: [pipelinesRoot],
        recentChanges: [],
      });
      const updated = await asAdmin.instance.update({ hostComputeEnvs: "workspace-maintainers" });
      expect(updated).toMatchObject({
        hostComputeEnvs: "workspace-maintainers",
        updatedBy: { id: admin.id, email: admin.email },
      });
      expect(updated.recentChanges).toEqual([
        expect.objectContaining({
          action: "instance.settings_updated",
          actorEmail: admin.email,
          ip: "198.51.100.7",
          detail: { setting: "hostComputeEnvs", from: "instance-admins", to: "workspace-maintainers" },
        }),
      ]);
      // Saving the same value again changes nothing and records nothing.
      expect((await asAdmin.instance.update({ hostComputeEnvs: "workspace-maintainers" })).recentChanges).toHaveLength(
        1,
      );
      expect(await codeOf(asAdmin.instance.update({ hostComputeEnvs: "everyone" as "instance-admins" }))).toBe(
        "BAD_REQUEST",
      );
      // Webhook destinations: plain http and exempt networks, each change audited.
      const hooks = await asAdmin.instance.update({
        webhooksAllowHttp: true,
        webhooksAllowedNetworks: ["127.0.0.1/32", "fd00::/8"],
      });
      expect(hooks.webhooks).toEqual({ allowHttp: true, allowedNetworks: ["127.0.0.1/32", "fd00::/8"] });
      expect(
        hooks.recentChanges
          .slice(0, 2)
          .map((c) => c.detail)
          .sort((a, b) => String(a.setting).localeCompare(String(b.setting))),
      ).toEqual([
        { setting: "webhooksAllowedNetworks", from: "", to: "127.0.0.1/32, fd00::/8" },
        { setting: "webhooksAllowHttp", from: false, to: true },
      ]);
      expect(await codeOf(asAdmin.instance.update({ webhooksAllowedNetworks: ["10.0.0.0/33"] }))).toBe("BAD_REQUEST");
      expect(
        (await asAdmin.instance.update({ webhooksAllowHttp: false, webhooksAllowedNetworks: [] })).webhooks,
      ).toEqual({ allowHttp: false, allowedNetworks: [] });
    } finally {
      await close();
    }
  });

  it("lists users a page at a time, oldest first, with their admin flag, and finds them by email or name", async () => {
    const { close, admin, others, asAdmin } = await instance();
    try {
      const first = await asAdmin.instance.users.list({ page: 1, pageSize: 2 });
      expect(first).toMatchObject({ total: 5, page: 1, pageSize: 2, admins: 1 });
      expect(first.items.map((u) => [u.email, u.isInstanceAdmin])).toEqual([
        [admin.email, true],
        [others[0]!.email, false],
      ]);
      const last = await asAdmin.instance.users.list({ page: 3, pageSize: 2 });
      expect(last.items.map((u) => u.email)).toEqual([others[3]!.email]);
      expect(last.items[0]).toEqual({
        id: others[3]!.id,
        email: others[3]!.email,
        name: others[3]!.name,
        isInstanceAdmin: false,
        disabledAt: null,
        createdAt: expect.stringMatching(ISO),
      });
      const found = await asAdmin.instance.users.list({ search: others[2]!.email.toUpperCase() });
      expect(found.items.map((u) => u.id)).toEqual([others[2]!.id]);
      expect(found.total).toBe(1);
      // LIKE wildcards in the search are literal.
      expect((await asAdmin.instance.users.list({ search: "%" })).total).toBe(0);
    } finally {
      await close();
    }
  });

  it("grants and revokes instance admin with an audit event, and never removes the last admin", async () => {
    const { db, close, admin, others, asAdmin } = await instance();
    try {
      const bob = others[0]!;
      // Alone, the admin cannot step down.
      expect(await errorOf(asAdmin.instance.users.setAdmin({ userId: admin.id, isInstanceAdmin: false }))).toEqual({
        code: "CONFLICT",
        message: "userId: This is the instance's only admin. Make someone else an instance admin first.",
      });
      expect(await asAdmin.instance.users.setAdmin({ userId: bob.id, isInstanceAdmin: true })).toMatchObject({
        id: bob.id,
        isInstanceAdmin: true,
      });
      // Bob now has the powers: he can revoke the first admin, who then has none.
      const asBob = callerFor(db, bob.id, { ip: "203.0.113.9" });
      expect(await codeOf(asBob.instance.get())).toBe("ok");
      expect(await asBob.instance.users.setAdmin({ userId: admin.id, isInstanceAdmin: false })).toMatchObject({
        id: admin.id,
        isInstanceAdmin: false,
      });
      expect(await codeOf(asAdmin.instance.get())).toBe("FORBIDDEN");
      expect(await codeOf(asBob.instance.users.setAdmin({ userId: bob.id, isInstanceAdmin: false }))).toBe("CONFLICT");
      expect(
        await codeOf(
          asBob.instance.users.setAdmin({ userId: "00000000-0000-4000-8000-000000000000", isInstanceAdmin: true }),
        ),
      ).toBe("NOT_FOUND");
      expect((await findUserById(db, bob.id))!.isInstanceAdmin).toBe(true);

      const { recentChanges } = await asBob.instance.get();
      expect(recentChanges.map((e) => [e.action, e.actorEmail, e.ip, e.targetName])).toEqual([
        ["instance.admin_revoked", bob.email, "203.0.113.9", admin.email],
        ["instance.admin_granted", admin.email, "198.51.100.7", bob.email],
      ]);
    } finally {
      await close();
    }
  });

  it("the sign-up policy: the environment's until saved here, then the saved one; each change audited", async () => {
    const { db, close, admin } = await instance();
    try {
      const asAdmin = callerFor(db, admin.id, { config: { signup: "open" }, ip: "198.51.100.7" });
      expect((await asAdmin.instance.get()).signup).toEqual({ policy: "open", saved: null, environment: "open" });
      const saved = await asAdmin.instance.update({ signup: "off" });
      expect(saved.signup).toEqual({ policy: "off", saved: "off", environment: "open" });
      // Saving one setting leaves the other alone.
      expect((await asAdmin.instance.update({ hostComputeEnvs: "workspace-maintainers" })).signup.saved).toBe("off");
      const back = await asAdmin.instance.update({ signup: null });
      expect(back.signup).toEqual({ policy: "open", saved: null, environment: "open" });
      expect(back.hostComputeEnvs).toBe("workspace-maintainers");
      expect(back.recentChanges.map((e) => e.detail)).toEqual([
        { setting: "signup", from: "off", to: null },
        { setting: "hostComputeEnvs", from: "instance-admins", to: "workspace-maintainers" },
        { setting: "signup", from: null, to: "off" },
      ]);
      expect(await codeOf(asAdmin.instance.update({ signup: "everyone" as "open" }))).toBe("BAD_REQUEST");
    } finally {
      await close();
    }
  });
});

describe("disabling accounts and ending sessions (instance admins only)", () => {
  it("a disabled account is refused at once, by session or token; enabled again it works (positive control)", async () => {
    const { db, close, admin, others, asAdmin } = await instance();
    try {
      const bob = others[0]!;
      const bySession = callerFor(db, bob.id);
      const byToken = callerFor(db, bob.id, {
        identity: {
          userId: bob.id,
          via: "token",
          tokenId: "00000000-0000-4000-8000-000000000001",
          scopes: ["read", "write", "launch", "admin"],
        },
      });
      expect(await codeOf(bySession.me.get())).toBe("ok");
      expect(await codeOf(byToken.workspaces.list())).toBe("ok");
      const before = (await findUserById(db, bob.id))!.sessionVersion;

      const disabled = await asAdmin.instance.users.setDisabled({ userId: bob.id, disabled: true });
      expect(disabled).toMatchObject({ id: bob.id, disabledAt: expect.stringMatching(ISO) });
      // Sessions carry the old version: they end, as with "sign out everywhere".
      expect((await findUserById(db, bob.id))!.sessionVersion).toBe(before + 1);
      for (const call of [
        () => bySession.me.get(),
        () => bySession.workspaces.list(),
        () => byToken.workspaces.list(),
        () => byToken.me.tokens.create({ name: "again" }),
      ]) {
        expect(await errorOf(call())).toEqual({
          code: "UNAUTHORIZED",
          message: "This account has been disabled by an instance admin.",
        });
      }
      expect((await asAdmin.instance.users.list({ search: bob.email })).items[0]!.disabledAt).toEqual(
        expect.stringMatching(ISO),
      );

      expect(await asAdmin.instance.users.setDisabled({ userId: bob.id, disabled: false })).toMatchObject({
        disabledAt: null,
      });
      expect(await codeOf(bySession.me.get())).toBe("ok");
      expect(await codeOf(byToken.workspaces.list())).toBe("ok");

      const { recentChanges } = await asAdmin.instance.get();
      expect(recentChanges.slice(0, 2).map((e) => [e.action, e.actorEmail, e.targetName])).toEqual([
        ["instance.user_enabled", admin.email, bob.email],
        ["instance.user_disabled", admin.email, bob.email],
      ]);
    } finally {
      await close();
    }
  });

  it("never yourself, never the last active admin; another admin can be disabled while one remains", async () => {
    const { db, close, admin, others, asAdmin } = await instance();
    try {
      expect(await errorOf(asAdmin.instance.users.setDisabled({ userId: admin.id, disabled: true }))).toEqual({
        code: "BAD_REQUEST",
        message: "userId: You cannot disable your own account.",
      });
      const carol = others[1]!;
      await asAdmin.instance.users.setAdmin({ userId: carol.id, isInstanceAdmin: true });
      const asCarol = callerFor(db, carol.id);
      // Carol disables the first admin: allowed, she remains.
      expect(await asCarol.instance.users.setDisabled({ userId: admin.id, disabled: true })).toMatchObject({
        disabledAt: expect.stringMatching(ISO),
      });
      expect(await codeOf(asAdmin.instance.get())).toBe("UNAUTHORIZED");
      // A disabled admin does not count: Carol is the only active one, and cannot step down either.
      expect((await asCarol.instance.users.list()).admins).toBe(1);
      expect(await codeOf(asCarol.instance.users.setAdmin({ userId: carol.id, isInstanceAdmin: false }))).toBe(
        "CONFLICT",
      );
      // Disabling the last active admin could only be asked by that admin, about themselves (refused
      // above); the query refuses it too, against races.
      expect(await db.transaction((tx) => setUserDisabled(tx, carol.id, true))).toEqual({ status: "last-admin" });
      expect((await findUserById(db, carol.id))!.disabledAt).toBeNull();
      expect(
        await codeOf(
          asCarol.instance.users.setDisabled({ userId: "00000000-0000-4000-8000-000000000000", disabled: true }),
        ),
      ).toBe("NOT_FOUND");
      // A disabled admin has no powers left.
      await asCarol.instance.users.setAdmin({ userId: others[2]!.id, isInstanceAdmin: true });
      await asCarol.instance.users.setDisabled({ userId: others[2]!.id, disabled: true });
      expect(
        await errorOf(callerFor(db, others[2]!.id).instance.users.setDisabled({ userId: carol.id, disabled: true })),
      ).toMatchObject({ code: "UNAUTHORIZED" });
      expect((await findUserById(db, carol.id))!.disabledAt).toBeNull();
    } finally {
      await close();
    }
  });

  it("ends a user's sessions without disabling the account", async () => {
    const { db, close, admin, others, asAdmin } = await instance();
    try {
      const dave = others[3]!;
      const before = (await findUserById(db, dave.id))!.sessionVersion;
      expect(await asAdmin.instance.users.endSessions({ userId: dave.id })).toEqual({ ok: true });
      expect((await findUserById(db, dave.id))!).toMatchObject({ sessionVersion: before + 1, disabledAt: null });
      expect((await asAdmin.instance.get()).recentChanges[0]).toMatchObject({
        action: "instance.sessions_ended",
        actorEmail: admin.email,
        targetName: dave.email,
      });
      expect(await codeOf(asAdmin.instance.users.endSessions({ userId: "00000000-0000-4000-8000-000000000000" }))).toBe(
        "NOT_FOUND",
      );
    } finally {
      await close();
    }
  });
});
