import { UnrecoverableError } from "bullmq";
import { describe, expect, it } from "vitest";
import { ExecutorError } from "@lockstep/launcher";
import { ProviderError } from "@lockstep/secrets";
import { isPermanent, OVERDUE, stopOutcome } from "./common";

describe("stopOutcome", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  it("a run past its maximum run time ends FAILED with the overdue reason, whoever stops it", () => {
    expect(stopOutcome({ deadlineAt: new Date(now - 1) }, "cancelled", now)).toEqual({
      status: "FAILED",
      errorMessage: OVERDUE,
    });
  });
  it("a run within its time is cancelled, with the caller's words (positive control)", () => {
    expect(stopOutcome({ deadlineAt: new Date(now + 60_000) }, "cancelled before it started", now)).toEqual({
      status: "CANCELLED",
      errorMessage: "cancelled before it started",
    });
  });
});

describe("isPermanent", () => {
  it("trusts the adapters' own word on retrying", () => {
    expect(isPermanent(new ExecutorError("no such queue", false))).toBe(true);
    expect(isPermanent(new ExecutorError("Batch throttled", true))).toBe(false);
    expect(isPermanent(new ProviderError("access denied", false))).toBe(true);
    expect(isPermanent(new ProviderError("503", true))).toBe(false);
    expect(isPermanent(new UnrecoverableError("bad payload"))).toBe(true);
  });
  it("retries what it cannot classify (a crash mid-call is worth another try)", () => {
    expect(isPermanent(new Error("socket hang up"))).toBe(false);
    expect(isPermanent("a string")).toBe(false);
  });
});
