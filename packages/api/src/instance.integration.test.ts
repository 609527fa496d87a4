import { TRPCError } from "@trpc/server";
import { describe, expect, inject, it } from "vitest";
import { findUserById } from "@lockstep/db";
import { callerFor, freshDatabase, makeUser, pipelinesRoot } from "./test/fixtures";

const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (e instanceof TRPCError ? e.code : String(e)));
const errorOf = (p: Promise<unknown>) => p.then(() => null, (e: TRPCError) => ({ code: e.code, message: e.message }));

/** An empty instance of its own: the users list and the admin count are exact. */
async function instance() {
  const fresh = await freshDatabase(inject("databaseUrl"));
  const admin = await makeUser(fresh.db, "admin"); // the first account: the instance admin
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
        "instance.update": (c: ReturnType<typeof callerFor>) => c.instance.update({ hostComputeEnvs: "instance-admins" }),
        "instance.users.list": (c: ReturnType<typeof callerFor>) => c.instance.users.list(),
        "instance.users.setAdmin": (c: ReturnType<typeof callerFor>) => c.instance.users.setAdmin({ userId: admin.id, isInstanceAdmin: true }),
      };
      for (const [path, call] of Object.entries(calls)) {
        expect([path, await codeOf(call(callerFor(db, others[0]!.id)))]).toEqual([path, "FORBIDDEN"]);
        expect([path, await codeOf(call(callerFor(db, null)))]).toEqual([path, "UNAUTHORIZED"]);
        expect([path, await codeOf(call(callerFor(db, admin.id)))]).toEqual([path, "ok"]);
      }
      const refused = await errorOf(callerFor(db, others[0]!.id).instance.users.setAdmin({ userId: others[0]!.id, isInstanceAdmin: true }));
      expect(refused).toEqual({ code: "FORBIDDEN", message: "Only an instance admin can do this; ask one of this instance's admins." });
      expect((await findUserById(db, others[0]!.id))!.isInstanceAdmin).toBe(false);
    } finally {
      await close();
    }
  });

  it("shows the setting (default instance-admins), the configured pipeline roots and who changed what", async () => {
    const { close, admin, asAdmin } = await instance();
    try {
      expect(await asAdmin.instance.get()).toEqual({ hostComputeEnvs: "instance-admins", updatedAt: null, updatedBy: null, localPipelineRoots: [pipelinesRoot], recentChanges: [] });
      const updated = await asAdmin.instance.update({ hostComputeEnvs: "workspace-maintainers" });
      expect(updated).toMatchObject({ hostComputeEnvs: "workspace-maintainers", updatedBy: { id: admin.id, email: admin.email } });
      expect(updated.recentChanges).toEqual([
        expect.objectContaining({ action: "instance.settings_updated", actorEmail: admin.email, ip: "198.51.100.7", detail: { setting: "hostComputeEnvs", from: "instance-admins", to: "workspace-maintainers" } }),
      ]);
      // Saving the same value again changes nothing and records nothing.
      expect((await asAdmin.instance.update({ hostComputeEnvs: "workspace-maintainers" })).recentChanges).toHaveLength(1);
      expect(await codeOf(asAdmin.instance.update({ hostComputeEnvs: "everyone" as "instance-admins" }))).toBe("BAD_REQUEST");
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
      expect(last.items[0]).toEqual({ id: others[3]!.id, email: others[3]!.email, name: others[3]!.name, isInstanceAdmin: false, createdAt: expect.any(Date) });
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
      expect(await asAdmin.instance.users.setAdmin({ userId: bob.id, isInstanceAdmin: true })).toMatchObject({ id: bob.id, isInstanceAdmin: true });
      // Bob now has the powers: he can revoke the first admin, who then has none.
      const asBob = callerFor(db, bob.id, { ip: "203.0.113.9" });
      expect(await codeOf(asBob.instance.get())).toBe("ok");
      expect(await asBob.instance.users.setAdmin({ userId: admin.id, isInstanceAdmin: false })).toMatchObject({ id: admin.id, isInstanceAdmin: false });
      expect(await codeOf(asAdmin.instance.get())).toBe("FORBIDDEN");
      expect(await codeOf(asBob.instance.users.setAdmin({ userId: bob.id, isInstanceAdmin: false }))).toBe("CONFLICT");
      expect(await codeOf(asBob.instance.users.setAdmin({ userId: "00000000-0000-4000-8000-000000000000", isInstanceAdmin: true }))).toBe("NOT_FOUND");
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
});
