import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { Client } from "../support/client";

/** Scoped, expiring access tokens that cannot mint tokens, over HTTP against the real app. */
const password = "correct horse battery";

async function account(address: string) {
  const client = new Client(address);
  const email = `tokens-${randomUUID().slice(0, 8)}@example.test`;
  expect((await client.mutation("auth.signUp", { email, name: "Tokens", password })).status).toBe(200);
  expect(await client.signIn(email, password)).toBeNull();
  return client;
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

test("a token does what its scopes allow, nothing more, and cannot mint another token", async () => {
  const session = await account("127.0.0.51");
  const created = await session.mutation<{ token: string; accessToken: { scopes: string[]; expiresAt: string } }>(
    "me.tokens.create",
    { name: "read only", expiresInDays: 7, scopes: ["read"] },
  );
  const { token, accessToken } = created.body.result!.data.json;
  expect(accessToken.scopes).toEqual(["read"]);

  const script = new Client("127.0.0.52");
  expect((await script.json("/api/trpc/me.get", { headers: bearer(token) })).status).toBe(200);
  const write = await script.mutation(
    "orgs.create",
    { name: "Nope", slug: `nope-${randomUUID().slice(0, 8)}` },
    bearer(token),
  );
  expect(write.status).toBe(403);
  expect(write.body.error?.json.message).toBe('This access token lacks the "write" scope (it has: read).');
  const mint = await script.mutation(
    "me.tokens.create",
    { name: "child", expiresInDays: 1, scopes: ["read"] },
    bearer(token),
  );
  expect(mint.status).toBe(403);
  expect(mint.body.error?.json.message).toBe("Access tokens cannot do this: sign in to Lockstep in a browser.");

  // The owner's list says when and from where the token was last used.
  const listed =
    await session.query<Array<{ id: string; lastUsedAt: string | null; lastUsedIp: string | null }>>("me.tokens.list");
  expect(listed.body.result!.data.json).toEqual([
    expect.objectContaining({ lastUsedIp: "127.0.0.52", lastUsedAt: expect.any(String) }),
  ]);
});

test("tokens expire within the instance maximum (90 days by default); never-expiring ones cannot be made", async () => {
  const session = await account("127.0.0.53");
  const tooLong = await session.mutation("me.tokens.create", { name: "long", expiresInDays: 91, scopes: ["read"] });
  expect(tooLong.status).toBe(400);
  expect(tooLong.body.error?.json.message).toBe("Tokens on this instance live at most 90 days.");
  expect(
    (await session.mutation("me.tokens.create", { name: "never", expiresInDays: null, scopes: ["read"] })).status,
  ).toBe(400);
  const byDefault = await session.mutation<{ accessToken: { expiresAt: string } }>("me.tokens.create", {
    name: "default",
    scopes: ["read"],
  });
  expect(byDefault.status).toBe(200);
  const days = (Date.parse(byDefault.body.result!.data.json.accessToken.expiresAt) - Date.now()) / 86_400_000;
  expect(days).toBeGreaterThan(89.9);
  expect(days).toBeLessThanOrEqual(90);
});

test("sign out everywhere revokes the tokens too when asked, and only then", async () => {
  const session = await account("127.0.0.54");
  const make = async (name: string) =>
    (await session.mutation<{ token: string }>("me.tokens.create", { name, expiresInDays: 7, scopes: ["read"] })).body
      .result!.data.json.token;
  const kept = await make("kept");
  const script = new Client("127.0.0.55");
  expect((await session.mutation("me.signOutEverywhere", null)).status).toBe(200);
  expect((await script.json("/api/trpc/me.get", { headers: bearer(kept) })).status).toBe(200);

  const again = await account("127.0.0.56");
  const token = (
    await again.mutation<{ token: string }>("me.tokens.create", { name: "revoked", expiresInDays: 7, scopes: ["read"] })
  ).body.result!.data.json.token;
  expect((await script.json("/api/trpc/me.get", { headers: bearer(token) })).status).toBe(200);
  const out = await again.mutation<{ revokedTokens: number }>("me.signOutEverywhere", { revokeTokens: true });
  expect(out.body.result!.data.json.revokedTokens).toBe(1);
  expect((await script.json("/api/trpc/me.get", { headers: bearer(token) })).status).toBe(401);
  expect((await again.json("/api/trpc/me.get")).status).toBe(401);
});
