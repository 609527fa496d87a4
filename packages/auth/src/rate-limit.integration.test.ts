import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createRateLimiter, UNKNOWN_CLIENT } from "./rate-limit";

const redis = new Redis(inject("redisUrl"));
afterAll(() => redis.quit());

describe("rate limits in real Redis", () => {
  it("refuses past the limit per key, says how long to wait, and keeps keys apart", async () => {
    const limiter = createRateLimiter(redis, `it-${randomUUID()}`, { "sign-in:account": { points: 2, duration: 60 } });
    expect(await limiter.hit("sign-in:account", "a@example.test")).toBeNull();
    expect(await limiter.hit("sign-in:account", "A@Example.test")).toBeNull(); // case-insensitive key
    const wait = await limiter.hit("sign-in:account", "a@example.test");
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(60);
    expect(await limiter.hit("sign-in:account", "b@example.test")).toBeNull();
    await limiter.reset("sign-in:account", "a@example.test");
    expect(await limiter.hit("sign-in:account", "a@example.test")).toBeNull();
  });

  it("gives clients of unknown address one shared bucket with ten times the points", async () => {
    const limiter = createRateLimiter(redis, `it-${randomUUID()}`, { "sign-up:ip": { points: 2, duration: 60 } });
    const answers = [];
    for (let i = 0; i < 21; i++) answers.push(await limiter.hit("sign-up:ip", UNKNOWN_CLIENT));
    expect(answers.slice(0, 20).every((a) => a === null)).toBe(true);
    expect(answers[20]).toBeGreaterThan(0);
  });
});
