import { describe, expect, it } from "vitest";
import { parseStartEnv } from "./env";
import { StartupError } from "./log";

describe("start environment", () => {
  it("applies defaults for an empty environment", () => {
    const env = parseStartEnv({}, "/repo");
    expect(env.PORT).toBe(3000);
    expect(env.WORKER_PORT).toBe(3001);
    expect(env.dataDir).toBe("/repo/.data");
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it.each([
    [{ PORT: "http" }, /^PORT must be a port number/],
    [{ PORT: "70000" }, /^PORT must be between 1 and 65535/],
    [{ DATABASE_URL: "not a url" }, /^DATABASE_URL must be a URL/],
    [{ DATABASE_URL: "mysql://x@y/z" }, /^DATABASE_URL must start with postgres/],
    [{ REDIS_URL: "localhost:6379" }, /^REDIS_URL must/],
    [{ NEXTAUTH_SECRET: "short" }, /^NEXTAUTH_SECRET must be at least 32/],
    [{ PORT: "4000", WORKER_PORT: "4000" }, /^WORKER_PORT must differ from PORT/],
  ])("names the variable and the rule for %o", (source, message) => {
    let error: unknown;
    try {
      parseStartEnv(source, "/repo");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(StartupError);
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain("\n");
  });

  it("treats empty strings as unset", () => {
    expect(parseStartEnv({ DATABASE_URL: "" }, "/repo").DATABASE_URL).toBeUndefined();
  });
});
