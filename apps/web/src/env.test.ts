import { afterEach, describe, expect, it } from "vitest";
import { webEnv } from "./env";

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function configure(extra: Record<string, string> = {}) {
  Object.assign(process.env, {
    DATABASE_URL: "postgres://unused@127.0.0.1:1/unused",
    REDIS_URL: "redis://127.0.0.1:1",
    LOCKSTEP_SEAL_KEYS: "k1:unused",
    NEXTAUTH_SECRET: "a-test-secret-that-is-long-enough-0123456789",
    ...extra,
  });
}

describe("webEnv", () => {
  it("parses once while nothing changes (a request reads it several times)", () => {
    configure();
    const first = webEnv();
    expect(webEnv()).toBe(first);
    expect(first.LOCKSTEP_TOKEN_MAX_DAYS).toBe(90);
  });

  it("sees a changed variable at the very next call, a package's own included", () => {
    configure({ LOCKSTEP_TOKEN_MAX_DAYS: "30" });
    const before = webEnv();
    expect(before.LOCKSTEP_TOKEN_MAX_DAYS).toBe(30);
    process.env.LOCKSTEP_TOKEN_MAX_DAYS = "7";
    expect(webEnv().LOCKSTEP_TOKEN_MAX_DAYS).toBe(7);
    // A variable that was unset before (an optional one), and one declared by @lockstep/queue.
    process.env.LOCKSTEP_SIGNUP = "off";
    expect(webEnv().LOCKSTEP_SIGNUP).toBe("off");
    process.env.LOCKSTEP_QUEUE_PREFIX = "other";
    expect(webEnv().LOCKSTEP_QUEUE_PREFIX).toBe("other");
    delete process.env.LOCKSTEP_SIGNUP;
    expect(webEnv().LOCKSTEP_SIGNUP).toBeUndefined();
  });

  it("refuses an invalid value at every call, and takes the fixed one at once", () => {
    configure();
    expect(webEnv().LOCKSTEP_TOKEN_MAX_DAYS).toBe(90);
    process.env.LOCKSTEP_TOKEN_MAX_DAYS = "forever";
    expect(() => webEnv()).toThrow();
    expect(() => webEnv()).toThrow();
    process.env.LOCKSTEP_TOKEN_MAX_DAYS = "12";
    expect(webEnv().LOCKSTEP_TOKEN_MAX_DAYS).toBe(12);
  });
});
