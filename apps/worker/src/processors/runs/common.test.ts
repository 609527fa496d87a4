import { describe, expect, it } from "vitest";
import { OVERDUE, stopOutcome } from "./common";

describe("stopOutcome", () => {
  const now = Date.parse("2026-11-30T12:00:00Z");
  it("a run past its maximum run time ends FAILED with the overdue reason, whoever stops it", () => {
    expect(stopOutcome({ deadlineAt: new Date(now - 1) }, "cancelled", now)).toEqual({ status: "FAILED", errorMessage: OVERDUE });
  });
  it("a run within its time is cancelled, with the caller's words (positive control)", () => {
    expect(stopOutcome({ deadlineAt: new Date(now + 60_000) }, "cancelled before it started", now)).toEqual({ status: "CANCELLED", errorMessage: "cancelled before it started" });
  });
});
