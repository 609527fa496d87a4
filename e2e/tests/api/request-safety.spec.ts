import { randomUUID } from "node:crypto";
import { connect } from "node:net";
import { expect, request as requests, test, type APIRequestContext } from "@playwright/test";
import { ports } from "../../playwright.config";
import { signInRequest, trpcMutation } from "../support/admin";

/** Cross-site requests, content types, body and batch limits, against the real `npm start` app. */
const password = "correct horse battery";
const evil = "http://evil.example";

async function signedIn(baseURL: string) {
  const request = await requests.newContext({ baseURL });
  const email = `safety-${randomUUID().slice(0, 8)}@example.test`;
  expect(
    (await request.post("/api/trpc/auth.signUp", { data: { json: { email, name: "Safety", password } } })).status(),
  ).toBe(200);
  await signInRequest(request, { email, password });
  return request;
}

const stillSignedIn = async (request: APIRequestContext) => (await request.get("/api/trpc/me.get")).status();

test.describe("mutations from the app's own origin only", () => {
  test("a cross-site multipart POST to me.signOutEverywhere with a session cookie is refused; a same-origin JSON one passes", async ({
    baseURL,
  }) => {
    const request = await signedIn(baseURL!);
    const forged = await request.post("/api/trpc/me.signOutEverywhere", {
      multipart: { input: "{}" },
      headers: { origin: evil },
    });
    expect(forged.status()).toBe(403);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe("CROSS_SITE");
    // Same for a JSON body, for Sec-Fetch-Site alone, and for a same-origin form (not JSON).
    expect(
      (
        await request.post("/api/trpc/me.signOutEverywhere", { data: { json: null }, headers: { origin: evil } })
      ).status(),
    ).toBe(403);
    expect(
      (
        await request.post("/api/trpc/me.signOutEverywhere", {
          data: { json: null },
          headers: { "sec-fetch-site": "cross-site" },
        })
      ).status(),
    ).toBe(403);
    expect(
      (
        await request.post("/api/trpc/me.signOutEverywhere", {
          multipart: { input: "{}" },
          headers: { origin: baseURL! },
        })
      ).status(),
    ).toBe(415);
    expect(
      (
        await request.post("/api/trpc/me.signOutEverywhere", {
          data: "{}",
          headers: { "content-type": "text/plain", origin: baseURL! },
        })
      ).status(),
    ).toBe(415);
    expect(await stillSignedIn(request)).toBe(200);

    // Positive control: the app's own origin, as JSON, signs the user out everywhere.
    const own = await request.post("/api/trpc/me.signOutEverywhere", {
      data: { json: null },
      headers: { origin: baseURL!, "sec-fetch-site": "same-origin" },
    });
    expect(own.status()).toBe(200);
    expect(await stillSignedIn(request)).toBe(401);
    await request.dispose();
  });

  test("next-auth's POSTs are refused cross-site too", async ({ baseURL }) => {
    const request = await signedIn(baseURL!);
    const { csrfToken } = (await (await request.get("/api/auth/csrf")).json()) as { csrfToken: string };
    const forged = await request.post("/api/auth/signout", {
      form: { csrfToken, json: "true" },
      headers: { origin: evil },
    });
    expect(forged.status()).toBe(403);
    expect(await stillSignedIn(request)).toBe(200);
    const own = await request.post("/api/auth/signout", {
      form: { csrfToken, json: "true" },
      headers: { origin: baseURL! },
    });
    expect(own.status()).toBe(200);
    expect(await stillSignedIn(request)).toBe(401);
    await request.dispose();
  });

  test("bearer-token requests skip the origin check (no cookie is used with them)", async ({ baseURL }) => {
    const session = await signedIn(baseURL!);
    const { token } = await trpcMutation<{ token: string }>(session, "me.tokens.create", {
      name: "origin",
      expiresInDays: 1,
      scopes: ["write"],
    });
    const bare = await requests.newContext({ baseURL });
    const created = await bare.post("/api/trpc/orgs.create", {
      data: { json: { name: "Bearer Org", slug: `bearer-${randomUUID().slice(0, 8)}` } },
      headers: { authorization: `Bearer ${token}`, origin: evil },
    });
    expect(created.status()).toBe(200);
    await bare.dispose();
    await session.dispose();
  });

  test("session cookies are HttpOnly and SameSite=Lax; Secure is left to https instances (NEXTAUTH_URL)", async ({
    baseURL,
  }) => {
    const request = await signedIn(baseURL!);
    const cookie = (await request.storageState()).cookies.find((c) => c.name.endsWith("next-auth.session-token"))!;
    expect(cookie.httpOnly).toBe(true);
    expect(cookie.sameSite).toBe("Lax");
    // This instance is http://localhost: a Secure cookie would never be sent back. The https case is a unit test (auth.test.ts).
    expect(cookie.secure).toBe(false);
    await request.dispose();
  });
});

test.describe("request limits", () => {
  test("an unauthenticated 50 MB body is refused with 413 before it is read", async () => {
    const total = 50 * 1024 * 1024;
    const result = await new Promise<{ status: string; sent: number }>((resolve, reject) => {
      const socket = connect({ host: "127.0.0.1", port: ports.web });
      let sent = 0;
      let answer = "";
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        socket.destroy();
        resolve({ status: answer.split("\r\n")[0] ?? "", sent });
      };
      socket.on("data", (d) => {
        answer += d.toString();
        if (answer.includes("\r\n\r\n")) finish();
      });
      socket.on("error", () => finish());
      socket.on("close", finish);
      socket.on("connect", () => {
        socket.write(
          `POST /api/trpc/auth.signUp HTTP/1.1\r\nHost: localhost:${ports.web}\r\nContent-Type: application/json\r\nContent-Length: ${total}\r\n\r\n`,
        );
        const chunk = Buffer.alloc(64 * 1024, 0x61);
        // Send slowly enough to notice an early answer; stop as soon as one arrives.
        const pump = () => {
          while (!done && sent < total) {
            sent += chunk.length;
            if (!socket.write(chunk)) return void socket.once("drain", () => setTimeout(pump, 5));
          }
        };
        setTimeout(pump, 50);
      });
      setTimeout(() => (done ? undefined : reject(new Error(`no answer after sending ${sent} bytes`))), 30_000);
    });
    expect(result.status).toBe("HTTP/1.1 413 Payload Too Large");
    // Most of the body was never sent, let alone read.
    expect(result.sent).toBeLessThan(total / 4);
  });

  test("413 and 411 are clear JSON errors; a body within the limit gets through (positive control)", async ({
    request,
  }) => {
    const big = await request.post("/api/trpc/auth.signUp", {
      data: { json: { email: "a@b.c", name: "x".repeat(1024 * 1024 + 1), password } },
    });
    expect(big.status()).toBe(413);
    expect(await big.json()).toEqual({
      error: {
        code: "PAYLOAD_TOO_LARGE",
        message: "The request body is larger than this server accepts (1048576 bytes).",
      },
    });
    const within = await request.post("/api/trpc/auth.signUp", {
      data: { json: { email: "a@b.c", name: "x".repeat(900 * 1024), password } },
    });
    expect(within.status()).toBe(400); // the name is too long for sign-up: read and validated, not refused unread
  });

  test("a batch of at most 16 procedures is served; 17 is refused with 400", async ({ request }) => {
    const batch = (n: number) =>
      `/api/trpc/${Array(n).fill("system.health").join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify({}))}`;
    expect((await request.get(batch(16))).status()).toBe(200);
    const refused = await request.get(batch(17));
    expect(refused.status()).toBe(400);
    expect(await refused.json()).toEqual({
      error: { code: "BATCH_TOO_LARGE", message: "A batch may hold at most 16 procedures; this one has 17." },
    });
    const post = await request.post(`/api/trpc/${Array(500).fill("auth.signUp").join(",")}?batch=1`, { data: {} });
    expect(post.status()).toBe(400);
  });
});
