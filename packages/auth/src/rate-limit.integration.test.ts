import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createRateLimiter, createSignInLimiter, type TSignInLimiter } from "./rate-limit";

const redis = new Redis(inject("redisUrl"));
afterAll(() => redis.quit());

/** What a sign-in does: ask, check the password, report a success. Resolves "ok", "wrong" or the wait. */
async function signIn(limiter: TSignInLimiter, account: string, client: string, rightPassword: boolean) {
  const wait = await limiter.attempt(account, client);
  if (wait !== null) return `wait ${wait}` as const;
  if (!rightPassword) return "wrong" as const;
  await limiter.succeeded(account, client);
  return "ok" as const;
}

describe("sign-in backoff in real Redis", () => {
  it("backs off a client that keeps failing against an account, doubling and capped", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`, { baseMs: 2_000, capMs: 8_000 });
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await signIn(limiter, "alice@example.test", "198.51.100.7", false));
    expect(answers).toEqual(["wrong", "wrong", "wrong", "wrong", "wrong"]);
    // The sixth waits base (2 s) after the fifth failure: refused right away, password unchecked.
    expect(await signIn(limiter, "alice@example.test", "198.51.100.7", true)).toBe("wait 2");
    // Case variants of the email are the same account.
    expect(await signIn(limiter, "ALICE@example.test", "198.51.100.7", true)).toMatch(/^wait [12]$/);
  });

  it("never refuses the right password to a client that has not failed (10 wrong passwords from an attacker)", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`);
    const attacker = "203.0.113.66";
    const owner = "198.51.100.20";
    const attack = [];
    for (let i = 0; i < 10; i++) attack.push(await signIn(limiter, "bob@example.test", attacker, false));
    expect(attack.slice(0, 5)).toEqual(["wrong", "wrong", "wrong", "wrong", "wrong"]);
    expect(attack.slice(5).every((a) => a.startsWith("wait "))).toBe(true);
    // The owner from their own address is let in…
    expect(await signIn(limiter, "bob@example.test", owner, true)).toBe("ok");
    // …and the attacker is still held back (its record is its own).
    expect(await signIn(limiter, "bob@example.test", attacker, true)).toMatch(/^wait /);
  });

  it("320 failures with random emails from one client hold back that client only", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`);
    const sprayer = "203.0.113.9";
    let checked = 0;
    for (let i = 0; i < 320; i++)
      if ((await signIn(limiter, `nobody-${i}@example.test`, sprayer, false)) === "wrong") checked++;
    // 30 passwords were checked; the rest were refused without one.
    expect(checked).toBe(30);
    expect(await signIn(limiter, "carol@example.test", sprayer, true)).toMatch(/^wait /);
    expect(await signIn(limiter, "carol@example.test", "198.51.100.30", true)).toBe("ok");
    expect(await signIn(limiter, "dave@example.test", "198.51.100.31", false)).toBe("wrong");
  });

  it("a success takes its attempt back and clears the client's record for that account", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`);
    for (let i = 0; i < 4; i++)
      expect(await signIn(limiter, "erin@example.test", "198.51.100.40", false)).toBe("wrong");
    expect(await signIn(limiter, "erin@example.test", "198.51.100.40", true)).toBe("ok");
    for (let i = 0; i < 5; i++)
      expect(await signIn(limiter, "erin@example.test", "198.51.100.40", false)).toBe("wrong");
    // Many successful sign-ins never add up to a client limit.
    const fresh = createSignInLimiter(redis, `it-${randomUUID()}`, { clientFree: 3 });
    for (let i = 0; i < 10; i++) expect(await signIn(fresh, "frank@example.test", "198.51.100.41", true)).toBe("ok");
  });

  it("parallel attempts cannot all pass before the failures are recorded", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => limiter.attempt("gina@example.test", "203.0.113.77")),
    );
    expect(answers.filter((a) => a === null)).toHaveLength(5);
  });

  it("an account attacked from many addresses backs off each failing address after one failure; a fresh one still signs in", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`, { attackThreshold: 6 });
    for (let i = 0; i < 6; i++)
      expect(await signIn(limiter, "hana@example.test", `203.0.113.${100 + i}`, false)).toBe("wrong");
    expect(await signIn(limiter, "hana@example.test", "203.0.113.100", false)).toMatch(/^wait /);
    expect(await signIn(limiter, "hana@example.test", "203.0.113.120", true)).toBe("ok");
  });

  it("counts an IPv6 client as its /64, and IPv4-mapped addresses as IPv4", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`);
    for (let i = 0; i < 5; i++)
      expect(await signIn(limiter, "ivan@example.test", `2001:db8:1:2::${i + 1}`, false)).toBe("wrong");
    expect(await signIn(limiter, "ivan@example.test", "2001:db8:1:2:ffff::9", true)).toMatch(/^wait /);
    expect(await signIn(limiter, "ivan@example.test", "2001:db8:1:3::1", true)).toBe("ok");
    for (let i = 0; i < 5; i++)
      expect(await signIn(limiter, "jo@example.test", "::ffff:192.0.2.1", false)).toBe("wrong");
    expect(await signIn(limiter, "jo@example.test", "192.0.2.1", true)).toMatch(/^wait /);
  });

  it("refuses to key anything by a non-address (no shared bucket)", async () => {
    const limiter = createSignInLimiter(redis, `it-${randomUUID()}`);
    await expect(limiter.attempt("kim@example.test", "unknown-client")).rejects.toThrow("not an IP address");
  });
});

describe("fixed-window limits in real Redis", () => {
  it("refuses past the limit per key, says how long to wait, and keeps keys apart", async () => {
    const limiter = createRateLimiter(redis, `it-${randomUUID()}`, { "sign-up:ip": { points: 2, duration: 60 } });
    expect(await limiter.hit("sign-up:ip", "192.0.2.1")).toBeNull();
    expect(await limiter.hit("sign-up:ip", "192.0.2.1")).toBeNull();
    const wait = await limiter.hit("sign-up:ip", "192.0.2.1");
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await limiter.hit("sign-up:ip", "192.0.2.2")).toBeNull();
    await limiter.reset("sign-up:ip", "192.0.2.1");
    expect(await limiter.hit("sign-up:ip", "192.0.2.1")).toBeNull();
  });
});
