import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { hashAccessToken } from "@lockstep/auth";
import { createDatabase, findUserByTokenHash, touchAccessToken } from "@lockstep/db";
import { callerFor, makeUser } from "./test/fixtures";

/** Dates leave the API as ISO 8601 strings. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof TRPCError ? { code: e.code, message: e.message } : { code: "?", message: String(e) }),
  );
const DAY = 86_400_000;

async function tokenIdentity(token: string) {
  const found = (await findUserByTokenHash(db, hashAccessToken(token)))!;
  return { userId: found.user.id, via: "token" as const, tokenId: found.token.id, scopes: found.token.scopes };
}

describe("access tokens: lifetime, scopes, who may mint them", () => {
  it("expire within the instance's maximum: longer is refused, never-expiring is impossible, the default fits", async () => {
    const user = await makeUser(db, "lifetime");
    const me = callerFor(db, user.id, { config: { tokenMaxDays: 30 } });
    expect(await errorOf(me.me.tokens.create({ name: "too long", expiresInDays: 31 }))).toEqual({
      code: "BAD_REQUEST",
      message: "Tokens on this instance live at most 30 days.",
    });
    const never = await errorOf(me.me.tokens.create({ name: "never", expiresInDays: null as unknown as number }));
    expect(never?.code).toBe("BAD_REQUEST");
    // Positive controls: the maximum itself, and no lifetime given (90 days, lowered to the maximum).
    const atMax = await me.me.tokens.create({ name: "at max", expiresInDays: 30 });
    expect(Math.abs(Date.parse(atMax.accessToken.expiresAt) - (Date.now() + 30 * DAY))).toBeLessThan(60_000);
    const byDefault = await me.me.tokens.create({ name: "default" });
    expect(Math.abs(Date.parse(byDefault.accessToken.expiresAt) - (Date.now() + 30 * DAY))).toBeLessThan(60_000);
    const roomy = await callerFor(db, user.id, { config: { tokenMaxDays: 365 } }).me.tokens.create({ name: "roomy" });
    expect(Math.abs(Date.parse(roomy.accessToken.expiresAt) - (Date.now() + 90 * DAY))).toBeLessThan(60_000);
  });

  it("carry the scopes they were created with (read only unless asked), listed with last use and its address", async () => {
    const user = await makeUser(db, "scoped");
    const me = callerFor(db, user.id);
    const plain = await me.me.tokens.create({ name: "plain", expiresInDays: 7 });
    expect(plain.accessToken.scopes).toEqual(["read"]);
    const ci = await me.me.tokens.create({ name: "ci", expiresInDays: 7, scopes: ["launch", "read", "launch"] });
    expect(ci.accessToken.scopes).toEqual(["read", "launch"]);
    expect((await errorOf(me.me.tokens.create({ name: "none", expiresInDays: 7, scopes: [] })))?.code).toBe(
      "BAD_REQUEST",
    );

    const asCi = callerFor(db, null, { identity: await tokenIdentity(ci.token) });
    expect((await asCi.me.get()).id).toBe(user.id);
    const write = await errorOf(asCi.workspaces.create({ orgId: randomUUID(), name: "nope", visibility: "private" }));
    expect(write).toEqual({
      code: "FORBIDDEN",
      message: 'This access token lacks the "write" scope (it has: read, launch).',
    });

    await touchAccessToken(db, ci.accessToken.id, "198.51.100.23");
    const listed = (await me.me.tokens.list()).find((t) => t.id === ci.accessToken.id)!;
    expect(listed.lastUsedIp).toBe("198.51.100.23");
    expect(listed.lastUsedAt).toMatch(ISO);
  });

  it("cannot mint tokens, list or revoke them, or sign out everywhere — even with every scope", async () => {
    const user = await makeUser(db, "minting");
    const all = await callerFor(db, user.id).me.tokens.create({
      name: "all",
      expiresInDays: 7,
      scopes: ["read", "write", "launch", "admin"],
    });
    const asToken = callerFor(db, null, { identity: await tokenIdentity(all.token) });
    const session = "Access tokens cannot do this: sign in to Lockstep in a browser.";
    expect(await errorOf(asToken.me.tokens.create({ name: "child", expiresInDays: 1 }))).toEqual({
      code: "FORBIDDEN",
      message: session,
    });
    expect(await errorOf(asToken.me.tokens.list())).toEqual({ code: "FORBIDDEN", message: session });
    expect(await errorOf(asToken.me.tokens.revoke({ tokenId: all.accessToken.id }))).toEqual({
      code: "FORBIDDEN",
      message: session,
    });
    expect(await errorOf(asToken.me.signOutEverywhere())).toEqual({ code: "FORBIDDEN", message: session });
    expect(await callerFor(db, user.id).me.tokens.list()).toHaveLength(1);
  });

  it("survive sign out everywhere unless it is asked to revoke them too", async () => {
    const user = await makeUser(db, "everywhere");
    const me = callerFor(db, user.id);
    const a = await me.me.tokens.create({ name: "a", expiresInDays: 7 });
    const b = await me.me.tokens.create({ name: "b", expiresInDays: 7 });
    expect(await me.me.signOutEverywhere()).toEqual({ ok: true, revokedTokens: 0 });
    expect(await findUserByTokenHash(db, hashAccessToken(a.token))).not.toBeNull();
    expect(await me.me.signOutEverywhere({ revokeTokens: true })).toEqual({ ok: true, revokedTokens: 2 });
    expect(await findUserByTokenHash(db, hashAccessToken(a.token))).toBeNull();
    expect(await findUserByTokenHash(db, hashAccessToken(b.token))).toBeNull();
    expect(await me.me.tokens.list()).toEqual([]);
  });
});
