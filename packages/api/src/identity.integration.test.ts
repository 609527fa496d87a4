import { TRPCError } from "@trpc/server";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createRateLimiter, hashAccessToken, verifyPassword } from "@lockstep/auth";
import {
  ensureSetupCode,
  findUserByEmail,
  findUserByTokenHash,
  listInstanceAuditEvents,
  schema,
  type TDatabase,
} from "@lockstep/db";
import { SETUP_CODE_NEEDED, SIGNUP_INVITE_ONLY, SIGNUP_OFF } from "./services/identity";
import { callerFor, freshDatabase, makeAdmin, type TContextOverrides } from "./test/fixtures";

const redis = new Redis(inject("redisUrl"));
afterAll(async () => {
  await redis.quit();
});

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
const email = (label: string) => `${label}-${randomUUID().slice(0, 8)}@example.test`;
const password = "long enough pw";

describe("the first account claims the instance with the setup code", () => {
  it("is refused without the code or with a wrong one, whatever the policy; the code makes it the admin, once", async () => {
    const fresh = await freshDatabase(inject("databaseUrl"));
    try {
      const setup = await ensureSetupCode(fresh.db);
      if (setup.status !== "generated") throw new Error(`expected a generated code, got ${setup.status}`);
      expect(setup.code).toMatch(/^[A-Z2-9]{5}(-[A-Z2-9]{5}){3}$/);
      // Only its hash is stored.
      const [row] = await fresh.db.select().from(schema.instanceSetup);
      expect(JSON.stringify(row)).not.toContain(setup.code);

      for (const signup of ["open", "invite", "off"] as const) {
        const anon = callerFor(fresh.db, null, { config: { signup } });
        expect(await errorOf(anon.auth.signUp({ email: email("early"), name: "Early", password }))).toEqual({
          code: "FORBIDDEN",
          message: SETUP_CODE_NEEDED,
        });
        expect(
          await errorOf(
            anon.auth.signUp({ email: email("guess"), name: "Guess", password, setupCode: "AAAAA-AAAAA-AAAAA-AAAAA" }),
          ),
        ).toEqual({
          code: "FORBIDDEN",
          message: SETUP_CODE_NEEDED,
        });
      }
      expect(await fresh.db.select().from(schema.users)).toEqual([]);

      // Case and spaces do not matter; the account is the admin, with its personal workspace.
      const anon = callerFor(fresh.db, null, { config: { signup: "off" }, ip: "192.0.2.1" });
      expect(
        await anon.auth.signUp({
          email: "First@Example.test",
          name: "First",
          password: "first password 1",
          setupCode: ` ${setup.code.toLowerCase()} `,
        }),
      ).toEqual({ ok: true });
      const first = await findUserByEmail(fresh.db, "first@example.test");
      expect(first).toMatchObject({ email: "first@example.test", isInstanceAdmin: true });
      expect(await verifyPassword(first!.passwordHash, "first password 1")).toBe(true);
      expect(await callerFor(fresh.db, first!.id).workspaces.list()).toEqual([
        expect.objectContaining({ personal: true, role: "owner", name: "First's workspace" }),
      ]);
      expect((await listInstanceAuditEvents(fresh.db, 5)).map((e) => [e.action, e.actorId, e.ip])).toEqual([
        ["instance.setup_claimed", first!.id, "192.0.2.1"],
      ]);

      // Used up: the same code makes nobody else an admin, and the policy applies again.
      expect(await fresh.db.select().from(schema.instanceSetup)).toEqual([]);
      expect(
        await errorOf(
          callerFor(fresh.db, null, { config: { signup: "invite" } }).auth.signUp({
            email: email("late"),
            name: "Late",
            password,
            setupCode: setup.code,
          }),
        ),
      ).toEqual({
        code: "FORBIDDEN",
        message: SIGNUP_INVITE_ONLY,
      });
      const second = email("second");
      await callerFor(fresh.db, null, { config: { signup: "open" } }).auth.signUp({
        email: second,
        name: "Second",
        password,
        setupCode: setup.code,
      });
      expect(await findUserByEmail(fresh.db, second)).toMatchObject({ isInstanceAdmin: false });
      // A later start while an admin exists makes no new code.
      expect(await ensureSetupCode(fresh.db)).toEqual({ status: "has-admin" });
    } finally {
      await fresh.close();
    }
  });

  it("LOCKSTEP_SETUP_CODE presets the code; each start's new code replaces the last", async () => {
    const fresh = await freshDatabase(inject("databaseUrl"));
    try {
      const old = await ensureSetupCode(fresh.db);
      const preset = "preset-code-for-automation-0001";
      expect(await ensureSetupCode(fresh.db, preset)).toEqual({ status: "preset" });
      const anon = callerFor(fresh.db, null);
      if (old.status !== "generated") throw new Error("expected a generated code");
      expect(await codeOf(anon.auth.signUp({ email: email("old"), name: "Old", password, setupCode: old.code }))).toBe(
        "FORBIDDEN",
      );
      await anon.auth.signUp({ email: "ops@example.test", name: "Ops", password, setupCode: preset });
      expect(await findUserByEmail(fresh.db, "ops@example.test")).toMatchObject({ isInstanceAdmin: true });
    } finally {
      await fresh.close();
    }
  });
});

describe("sign-up policy (the instance has an admin)", () => {
  let db: TDatabase;
  let close: () => Promise<void>;
  let admin: Awaited<ReturnType<typeof makeAdmin>>;
  beforeAll(async () => {
    ({ db, close } = await freshDatabase(inject("databaseUrl")));
    admin = await makeAdmin(db);
  });
  afterAll(() => close());
  const anon = (overrides: TContextOverrides = {}) => callerFor(db, null, overrides);

  it("invite (the default): a stranger is refused; an invited email signs up and finds the invitation (positive control)", async () => {
    const stranger = email("stranger");
    expect(await errorOf(anon().auth.signUp({ email: stranger, name: "Stranger", password }))).toEqual({
      code: "FORBIDDEN",
      message: SIGNUP_INVITE_ONLY,
    });
    expect(await findUserByEmail(db, stranger)).toBeNull();

    const asAdmin = callerFor(db, admin.id);
    const org = await asAdmin.orgs.create({ name: "Invites", slug: `inv-${randomUUID().slice(0, 8)}` });
    const invitee = email("invitee");
    const invitation = await asAdmin.orgs.members.add({ orgId: org.id, email: invitee.toUpperCase(), role: "member" });
    expect(await anon().auth.signUp({ email: invitee, name: "Invitee", password })).toEqual({ ok: true });
    const user = (await findUserByEmail(db, invitee))!;
    expect(user.isInstanceAdmin).toBe(false);
    expect((await callerFor(db, user.id).invitations.list()).map((i) => [i.id, i.orgName, i.role])).toEqual([
      [invitation.id, "Invites", "member"],
    ]);
    // Still refused for the stranger afterwards.
    expect(await codeOf(anon().auth.signUp({ email: stranger, name: "Stranger", password }))).toBe("FORBIDDEN");
  });

  it("open: anyone; off: nobody; a policy saved on the Instance settings page wins over the environment", async () => {
    expect(
      await codeOf(anon({ config: { signup: "open" } }).auth.signUp({ email: email("open"), name: "Open", password })),
    ).toBe("ok");
    expect(
      await errorOf(anon({ config: { signup: "off" } }).auth.signUp({ email: email("off"), name: "Off", password })),
    ).toEqual({ code: "FORBIDDEN", message: SIGNUP_OFF });

    const asAdmin = callerFor(db, admin.id, { config: { signup: "off" } });
    expect((await asAdmin.instance.update({ signup: "open" })).signup).toEqual({
      policy: "open",
      saved: "open",
      environment: "off",
    });
    expect(
      await codeOf(
        anon({ config: { signup: "off" } }).auth.signUp({ email: email("saved-open"), name: "Saved", password }),
      ),
    ).toBe("ok");
    await asAdmin.instance.update({ signup: "off" });
    expect(
      await codeOf(
        anon({ config: { signup: "open" } }).auth.signUp({ email: email("saved-off"), name: "Saved", password }),
      ),
    ).toBe("FORBIDDEN");
    // Back to the environment's.
    expect((await asAdmin.instance.update({ signup: null })).signup).toEqual({
      policy: "off",
      saved: null,
      environment: "off",
    });
    expect(
      await codeOf(
        anon({ config: { signup: "open" } }).auth.signUp({ email: email("env-open"), name: "Env", password }),
      ),
    ).toBe("ok");
  });

  it("answers the same for a taken email and keeps the existing password", async () => {
    const taken = email("taken");
    const open = anon({ config: { signup: "open" } });
    expect(await open.auth.signUp({ email: taken, name: "Owner", password: "original password" })).toEqual({
      ok: true,
    });
    expect(
      await open.auth.signUp({ email: taken.toUpperCase(), name: "Attacker", password: "attacker password" }),
    ).toEqual({ ok: true });
    const user = await findUserByEmail(db, taken);
    expect(user?.name).toBe("Owner");
    expect(await verifyPassword(user!.passwordHash, "attacker password")).toBe(false);
  });

  it("names each invalid field and stores nothing", async () => {
    const bad = email("bad");
    const error = await anon({ config: { signup: "open" } })
      .auth.signUp({ email: bad, name: "", password: "short" })
      .catch((e: TRPCError) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toContain("password: Password must be at least 10 characters.");
    expect((error as TRPCError).message).toContain("name: Enter a name.");
    expect((error as TRPCError).message).not.toContain("short");
    expect(await findUserByEmail(db, bad)).toBeNull();
  });

  it("is rate limited per IP through Redis", async () => {
    const limiter = createRateLimiter(redis, `it-${randomUUID().slice(0, 8)}`, {
      "sign-up:ip": { points: 2, duration: 60 },
    });
    const open = anon({ limiter, ip: "203.0.113.7", config: { signup: "open" } });
    const attempt = () => open.auth.signUp({ email: email("rl"), name: "RL", password });
    expect(await codeOf(attempt())).toBe("ok");
    expect(await codeOf(attempt())).toBe("ok");
    expect(await codeOf(attempt())).toBe("TOO_MANY_REQUESTS");
    // Another address is not affected.
    expect(
      await codeOf(
        anon({ limiter, ip: "203.0.113.8", config: { signup: "open" } }).auth.signUp({
          email: email("rl2"),
          name: "RL",
          password,
        }),
      ),
    ).toBe("ok");
  });

  it("access tokens are shown once, listed without the secret part, usable until revoked", async () => {
    const mail = email("tok");
    await anon({ config: { signup: "open" } }).auth.signUp({ email: mail, name: "Tok", password });
    const user = (await findUserByEmail(db, mail))!;
    const me = callerFor(db, user.id);
    const created = await me.me.tokens.create({ name: "ci", expiresInDays: 30 });
    expect(created.token).toMatch(/^lst_/);
    const listed = await me.me.tokens.list();
    expect(listed).toEqual([
      expect.objectContaining({ id: created.accessToken.id, name: "ci", prefix: created.token.slice(0, 12) }),
    ]);
    expect(JSON.stringify(listed)).not.toContain(created.token.slice(12));
    expect((await findUserByTokenHash(db, hashAccessToken(created.token)))?.user.id).toBe(user.id);
    await me.me.tokens.revoke({ tokenId: created.accessToken.id });
    expect(await findUserByTokenHash(db, hashAccessToken(created.token))).toBeNull();
    expect(await me.me.tokens.list()).toEqual([]);
  });
});
