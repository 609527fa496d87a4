import { describe, expect, it } from "vitest";
import { ReportThrottle } from "./report-throttle";

describe("ReportThrottle", () => {
  it("reports a failure once, again when its message changes or an hour passed, and anew after it recovered", () => {
    let now = 0;
    const throttle = new ReportThrottle(3_600_000, () => now);
    expect(throttle.shouldReport("ce-1", "ENOTFOUND")).toBe(true);
    now += 30_000;
    expect(throttle.shouldReport("ce-1", "ENOTFOUND")).toBe(false);
    expect(throttle.shouldReport("ce-2", "ENOTFOUND")).toBe(true);
    expect(throttle.shouldReport("ce-1", "AccessDenied")).toBe(true);
    now += 60_000;
    expect(throttle.shouldReport("ce-1", "AccessDenied")).toBe(false);
    // ce-1 recovered, ce-2 still fails.
    throttle.settle(new Set(["ce-2"]));
    expect(throttle.shouldReport("ce-1", "AccessDenied")).toBe(true);
    expect(throttle.shouldReport("ce-2", "ENOTFOUND")).toBe(false);
    now += 3_600_000;
    expect(throttle.shouldReport("ce-2", "ENOTFOUND")).toBe(true);
  });
});
