import NextAuth from "next-auth";
import { afterEach, describe, expect, it } from "vitest";
import { authOptions } from "./auth";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

/** The web's environment with this public URL (nothing here connects to anything). */
function configure(publicUrl: string) {
  Object.assign(process.env, {
    DATABASE_URL: "postgres://unused@127.0.0.1:1/unused",
    REDIS_URL: "redis://127.0.0.1:1",
    LOCKSTEP_SEAL_KEYS: "k1:unused",
    NEXTAUTH_SECRET: "a-test-secret-that-is-long-enough-0123456789",
    NEXTAUTH_URL: publicUrl,
  });
}

/**
 * The Set-Cookie lines next-auth answers a CSRF-token request with under these options, through
 * its Node (pages) handler, which needs no Next request scope.
 */
async function csrfCookies(publicUrl: string) {
  const set: string[] = [];
  const res = {
    setHeader: (name: string, value: string | string[]) =>
      name.toLowerCase() === "set-cookie" && set.push(...[value].flat()),
    getHeader: (name: string) => (name.toLowerCase() === "set-cookie" ? set : undefined),
    status: () => res,
    send: () => res,
    json: () => res,
    end: () => res,
  };
  const req = {
    method: "GET",
    query: { nextauth: ["csrf"] },
    headers: { host: new URL(publicUrl).host },
    cookies: {},
    body: {},
  };
  await (NextAuth as unknown as (req: unknown, res: unknown, options: unknown) => Promise<void>)(
    req,
    res,
    authOptions(),
  );
  return set;
}

describe("session cookies", () => {
  it("are Secure (and __Host-/__Secure- prefixed) when the public URL is https", async () => {
    configure("https://lockstep.example.org");
    expect(authOptions().useSecureCookies).toBe(true);
    const cookies = await csrfCookies("https://lockstep.example.org");
    expect(cookies.length).toBeGreaterThan(0);
    for (const c of cookies) expect(c).toMatch(/; Secure/i);
    expect(cookies.some((c) => c.startsWith("__Host-next-auth.csrf-token="))).toBe(true);
  });

  it("are not Secure on a plain-http instance, where the browser would never send them back (control)", async () => {
    configure("http://localhost:3000");
    expect(authOptions().useSecureCookies).toBe(false);
    const cookies = await csrfCookies("http://localhost:3000");
    expect(cookies.some((c) => c.startsWith("next-auth.csrf-token="))).toBe(true);
    for (const c of cookies) expect(c).not.toMatch(/; Secure/i);
  });
});
