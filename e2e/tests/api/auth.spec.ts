import { expect, test, type APIRequestContext } from "@playwright/test";

const password = "correct horse battery";

async function signUp(request: APIRequestContext, email: string) {
  const r = await request.post("/api/trpc/auth.signUp", { data: { json: { email, name: "API Test", password } } });
  expect(r.status()).toBe(200);
}

/** next-auth's credentials sign-in as a browser would post it; resolves the error code, if any. */
async function signIn(request: APIRequestContext, email: string, pass: string) {
  const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
  const r = await request.post("/api/auth/callback/credentials", {
    form: { csrfToken, email, password: pass, json: "true" },
    maxRedirects: 0,
  });
  const body = (await r.json().catch(() => ({}))) as { url?: string };
  return new URL(body.url ?? "http://x/").searchParams.get("error");
}

test("a wrong password and an unknown email get the same answer", async ({ playwright, baseURL }) => {
  const email = `known-${Date.now()}@example.test`;
  const request = await playwright.request.newContext({ baseURL });
  await signUp(request, email);
  const wrongPassword = await signIn(request, email, "not the password");
  const unknownEmail = await signIn(request, `unknown-${Date.now()}@example.test`, "not the password");
  expect(wrongPassword).toBe("CredentialsSignin");
  expect(unknownEmail).toBe(wrongPassword);
  expect(await signIn(request, email, password)).toBeNull();
  const me = await request.get("/api/trpc/me.get");
  expect(((await me.json()) as { result: { data: { json: { email: string } } } }).result.data.json.email).toBe(email);
  await request.dispose();
});

test("API calls without a session or token answer 401; a bad bearer token too", async ({ request }) => {
  expect((await request.get("/api/trpc/me.get")).status()).toBe(401);
  const bogus = await request.get("/api/trpc/me.get", { headers: { authorization: `Bearer lst_${"x".repeat(43)}` } });
  expect(bogus.status()).toBe(401);
});

test("HSTS is sent only to requests that arrived over TLS", async ({ request }) => {
  expect((await request.get("/sign-in")).headers()["strict-transport-security"]).toBeUndefined();
  const tls = await request.get("/sign-in", { headers: { "x-forwarded-proto": "https" } });
  expect(tls.headers()["strict-transport-security"]).toContain("max-age=");
});

test("sign out everywhere ends every session of the user", async ({ playwright, baseURL }) => {
  const email = `everywhere-${Date.now()}@example.test`;
  const laptop = await playwright.request.newContext({ baseURL });
  const desktop = await playwright.request.newContext({ baseURL });
  await signUp(laptop, email);
  expect(await signIn(laptop, email, password)).toBeNull();
  expect(await signIn(desktop, email, password)).toBeNull();
  expect((await desktop.get("/api/trpc/me.get")).status()).toBe(200);
  const out = await laptop.post("/api/trpc/me.signOutEverywhere", { data: { json: null } });
  expect(out.status()).toBe(200);
  expect((await desktop.get("/api/trpc/me.get")).status()).toBe(401);
  expect((await laptop.get("/api/trpc/me.get")).status()).toBe(401);
  // Signing in again works.
  expect(await signIn(desktop, email, password)).toBeNull();
  expect((await desktop.get("/api/trpc/me.get")).status()).toBe(200);
  await laptop.dispose();
  await desktop.dispose();
});
