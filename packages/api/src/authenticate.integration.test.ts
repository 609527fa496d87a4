import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, sql } from "@lockstep/db";
import { createCaller } from "./root";
import { identityFromSession, identityFromToken } from "./services/authenticate";
import { callerFor, contextFor, makeUser } from "./test/fixtures";

/**
 * Authentication costs one statement per request (issue #15): the token and its user in one join
 * (or the session's user), then the procedure's own access check and query. Statements are counted
 * on the wire (postgres.js debug hook) as the database receives them.
 */
const statements: string[] = [];
const { db, close } = createDatabase(inject("databaseUrl"), { max: 2, onQuery: (q) => void statements.push(q) });
afterAll(close);

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );
const settle = () => new Promise((r) => setTimeout(r, 100));

async function tokenUser() {
  const user = await makeUser(db, "tok");
  const created = await callerFor(db, user.id).me.tokens.create({ name: "ci", scopes: ["read"] });
  return { user, token: created.token, tokenId: created.accessToken.id };
}

async function counted<T>(use: () => Promise<T>): Promise<{ value: T; statements: string[] }> {
  statements.length = 0;
  const value = await use();
  return { value, statements: [...statements] };
}

describe("authentication costs one statement", () => {
  it("a bearer token: one statement to authenticate, three for a page of secrets (token+user, access, page)", async () => {
    const { user, token } = await tokenUser();
    await identityFromToken(db, token, "10.0.0.1"); // first use: records it (once a minute at most)
    await settle();

    const auth = await counted(() => identityFromToken(db, token, "10.0.0.1"));
    expect(auth.value).toMatchObject({ userId: user.id, via: "token" });
    expect(auth.statements).toHaveLength(1);
    expect(auth.statements[0]).toMatch(/from "access_tokens" inner join "users"/);

    const request = await counted(async () => {
      const identity = await identityFromToken(db, token, "10.0.0.1");
      return createCaller({ ...contextFor(db, null), identity }).secrets.list({
        workspaceId: user.personalWorkspaceId,
      });
    });
    await settle();
    expect(request.statements).toHaveLength(3);
    expect(request.statements.filter((q) => /^update/i.test(q))).toEqual([]);

    // Positive control: an identity without its user row makes the procedure fetch the user again.
    const refetch = await counted(async () => {
      const { user: _u, ...bare } = (await identityFromToken(db, token, "10.0.0.1"))!;
      return createCaller({ ...contextFor(db, null), identity: bare }).secrets.list({
        workspaceId: user.personalWorkspaceId,
      });
    });
    expect(refetch.statements).toHaveLength(4);
    expect(refetch.statements[1]).toMatch(/from "users"/);
  });

  it("a session: one statement (the user, checked for being disabled or signed out everywhere)", async () => {
    const user = await makeUser(db, "sess");
    const auth = await counted(() => identityFromSession(db, user.id, 0));
    expect(auth.value).toMatchObject({ userId: user.id, via: "session" });
    expect(auth.statements).toHaveLength(1);
    // Signed out everywhere: the old session version no longer counts.
    await callerFor(db, user.id).me.signOutEverywhere();
    expect(await identityFromSession(db, user.id, 0)).toBeNull();
  });

  it("records a token's use at most once a minute per address, and at once from a new address", async () => {
    const { token, tokenId } = await tokenUser();
    const lastUse = async () =>
      (
        await db.execute<{ ip: string | null }>(sql`select last_used_ip as ip from access_tokens where id = ${tokenId}`)
      )[0]?.ip ?? null;
    const first = await counted(async () => {
      await identityFromToken(db, token, "10.0.0.7");
      await settle();
    });
    expect(first.statements.filter((q) => /^update "access_tokens"/i.test(q))).toHaveLength(1);
    expect(await lastUse()).toBe("10.0.0.7");
    const again = await counted(async () => {
      await identityFromToken(db, token, "10.0.0.7");
      await settle();
    });
    expect(again.statements.filter((q) => /^update/i.test(q))).toEqual([]);
    await identityFromToken(db, token, "10.0.0.8");
    await settle();
    expect(await lastUse()).toBe("10.0.0.8");
  });
});

describe("revocation takes effect on the next request (no cache)", () => {
  it("a revoked token fails at once; the same token worked the request before (control)", async () => {
    const { user, token, tokenId } = await tokenUser();
    const identity = await identityFromToken(db, token, null);
    expect(
      await codeOf(
        createCaller({ ...contextFor(db, null), identity }).secrets.list({ workspaceId: user.personalWorkspaceId }),
      ),
    ).toBe("ok");
    await callerFor(db, user.id).me.tokens.revoke({ tokenId });
    expect(await identityFromToken(db, token, null)).toBeNull();
    expect(
      await codeOf(
        createCaller({ ...contextFor(db, null), identity: await identityFromToken(db, token, null) }).secrets.list({
          workspaceId: user.personalWorkspaceId,
        }),
      ),
    ).toBe("UNAUTHORIZED");
  });

  it("a disabled account's token fails at once", async () => {
    const { user, token } = await tokenUser();
    expect(
      await codeOf(
        createCaller({ ...contextFor(db, null), identity: await identityFromToken(db, token, null) }).secrets.list({
          workspaceId: user.personalWorkspaceId,
        }),
      ),
    ).toBe("ok");
    await db.execute(sql`update users set disabled_at = now() where id = ${user.id}`);
    expect(
      await codeOf(
        createCaller({ ...contextFor(db, null), identity: await identityFromToken(db, token, null) }).secrets.list({
          workspaceId: user.personalWorkspaceId,
        }),
      ),
    ).toBe("UNAUTHORIZED");
  });

  it("an expired token fails", async () => {
    const { token, tokenId } = await tokenUser();
    await db.execute(sql`update access_tokens set expires_at = now() - interval '1 second' where id = ${tokenId}`);
    expect(await identityFromToken(db, token, null)).toBeNull();
  });
});
