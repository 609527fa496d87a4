import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase } from "@lockstep/db";
import { callerFor } from "./test/fixtures";

describe("system.health through createCaller (real Postgres)", () => {
  const { db, close } = createDatabase(inject("databaseUrl"), { max: 2 });
  afterAll(close);

  it("reports Postgres ok and a failing Redis as degraded", async () => {
    const caller = callerFor(db, null, { pingRedis: () => Promise.reject(new Error("connection refused")) });
    const health = await caller.system.health();
    expect(health.postgres.ok).toBe(true);
    expect(health.redis).toEqual({ ok: false, error: "connection refused" });
    expect(health.status).toBe("degraded");
  });
});
