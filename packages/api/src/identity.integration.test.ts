import { TRPCError } from "@trpc/server";
import { Redis } from "ioredis";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createRateLimiter, verifyPassword } from "@lockstep/auth";
import { createDatabase, findUserByEmail, findUserByTokenHash } from "@lockstep/db";
import { hashAccessToken } from "@lockstep/auth";
import { callerFor, freshDatabase } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = new Redis(inject("redisUrl"));
afterAll(async () => {
  await close();
  await redis.quit();
});

const codeOf = (p: Promise<unknown>) => p.then(() => "ok", (e: unknown) => (e instanceof TRPCError ? e.code : String(e)));

describe("sign-up", () => {
  it("makes the first user of an instance its admin, and nobody after", async () => {
    const fresh = await freshDatabase(inject("databaseUrl"));
    try {
      const anon = callerFor(fresh.db, null);
      await anon.auth.signUp({ email: "First@Example.test", name: "First", password: "first password 1" });
      await anon.auth.signUp({ email: "second@example.test", name: "Second", password: "second password 2" });
      const first = await findUserByEmail(fresh.db, "first@example.test");
      const second = await findUserByEmail(fresh.db, "second@example.test");
      expect(first?.isInstanceAdmin).toBe(true);
      expect(first?.email).toBe("first@example.test");
      expect(second?.isInstanceAdmin).toBe(false);
      expect(await verifyPassword(first!.passwordHash, "first password 1")).toBe(true);
      const workspaces = await callerFor(fresh.db, first!.id).workspaces.list();
      expect(workspaces).toEqual([expect.objectContaining({ personal: true, role: "owner", name: "First's workspace" })]);
    } finally {
      await fresh.close();
    }
  });

  it("answers the same for a taken email and keeps the existing password", async () => {
    const email = `taken-${randomUUID().slice(0, 8)}@example.test`;
    const anon = callerFor(db, null);
    expect(await anon.auth.signUp({ email, name: "Owner", password: "original password" })).toEqual({ ok: true });
    expect(await anon.auth.signUp({ email: email.toUpperCase(), name: "Attacker", password: "attacker password" })).toEqual({ ok: true });
    const user = await findUserByEmail(db, email);
    expect(user?.name).toBe("Owner");
    expect(await verifyPassword(user!.passwordHash, "attacker password")).toBe(false);
  });

  it("names each invalid field and stores nothing", async () => {
    const email = `bad-${randomUUID().slice(0, 8)}@example.test`;
    const error = await callerFor(db, null)
      .auth.signUp({ email, name: "", password: "short" })
      .catch((e: TRPCError) => e);
    expect(error).toBeInstanceOf(TRPCError);
    expect((error as TRPCError).code).toBe("BAD_REQUEST");
    expect((error as TRPCError).message).toContain("password: Password must be at least 10 characters.");
    expect((error as TRPCError).message).toContain("name: Enter a name.");
    expect((error as TRPCError).message).not.toContain("short");
    expect(await findUserByEmail(db, email)).toBeNull();
  });

  it("can be turned off", async () => {
    const anon = callerFor(db, null, { config: { signupEnabled: false } });
    expect(await codeOf(anon.auth.signUp({ email: "off@example.test", name: "Off", password: "long enough pw" }))).toBe("FORBIDDEN");
  });

  it("is rate limited per IP through Redis", async () => {
    const limiter = createRateLimiter(redis, `it-${randomUUID().slice(0, 8)}`, { "sign-up:ip": { points: 2, duration: 60 } });
    const anon = callerFor(db, null, { limiter, ip: "203.0.113.7" });
    const attempt = () =>
      anon.auth.signUp({ email: `rl-${randomUUID().slice(0, 8)}@example.test`, name: "RL", password: "long enough pw" });
    expect(await codeOf(attempt())).toBe("ok");
    expect(await codeOf(attempt())).toBe("ok");
    expect(await codeOf(attempt())).toBe("TOO_MANY_REQUESTS");
    // Another address is not affected.
    expect(await codeOf(callerFor(db, null, { limiter, ip: "203.0.113.8" }).auth.signUp({ email: `rl2-${randomUUID().slice(0, 8)}@example.test`, name: "RL", password: "long enough pw" }))).toBe("ok");
  });
});

describe("access tokens", () => {
  it("are shown once, listed without the secret part, usable until revoked", async () => {
    const email = `tok-${randomUUID().slice(0, 8)}@example.test`;
    await callerFor(db, null).auth.signUp({ email, name: "Tok", password: "long enough pw" });
    const user = (await findUserByEmail(db, email))!;
    const me = callerFor(db, user.id);
    const created = await me.me.tokens.create({ name: "ci", expiresInDays: 30 });
    expect(created.token).toMatch(/^lst_/);
    const listed = await me.me.tokens.list();
    expect(listed).toEqual([expect.objectContaining({ id: created.accessToken.id, name: "ci", prefix: created.token.slice(0, 12) })]);
    expect(JSON.stringify(listed)).not.toContain(created.token.slice(12));
    expect((await findUserByTokenHash(db, hashAccessToken(created.token)))?.user.id).toBe(user.id);
    await me.me.tokens.revoke({ tokenId: created.accessToken.id });
    expect(await findUserByTokenHash(db, hashAccessToken(created.token))).toBeNull();
    expect(await me.me.tokens.list()).toEqual([]);
  });
});
