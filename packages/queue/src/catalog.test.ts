import { describe, expect, it } from "vitest";
import { z } from "zod";
import { jobCatalog, parsePayload, queueNames } from "./catalog";

describe("job catalog", () => {
  it("derives stable job ids so enqueueing twice is idempotent", () => {
    const entry = jobCatalog["system.health-check"];
    const id = entry.jobId({ nonce: "abc" });
    expect(id).toBe(entry.jobId({ nonce: "abc" }));
    // BullMQ rejects custom ids that are plain integers or contain its key separator ":".
    expect(id).not.toContain(":");
    expect(id).not.toMatch(/^\d+$/);
  });

  it("rejects payload fields the catalog does not know, so no value can ride along", () => {
    expect(() => parsePayload("system.health-check", { requestedBy: "web", nonce: "n", value: "hunter2" })).toThrow(
      z.ZodError,
    );
  });

  it("lists every queue a job names", () => {
    for (const entry of Object.values(jobCatalog)) expect(queueNames).toContain(entry.queue);
  });

  it("gives each write of a secret its own validation job, carrying ids and a time only", () => {
    const entry = jobCatalog["secrets.validate"];
    const secretId = "00000000-0000-4000-8000-000000000001";
    const first = entry.jobId({ secretId, writtenAt: "2026-01-01T00:00:00.000Z" });
    expect(first).toBe(`validate-${secretId}-1767225600000`);
    expect(entry.jobId({ secretId, writtenAt: "2026-01-01T00:00:00.001Z" })).not.toBe(first);
    expect(() =>
      parsePayload("secrets.validate", { secretId, writtenAt: "2026-01-01T00:00:00.000Z", value: "hunter2" }),
    ).toThrow(z.ZodError);
  });
});
