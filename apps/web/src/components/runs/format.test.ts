import { describe, expect, it } from "vitest";
import {
  formatDuration,
  formatKeyValueLines,
  formatSeconds,
  isLive,
  lineNames,
  nonEmptyLines,
  parseKeyValueLines,
  runDuration,
  splitSeconds,
} from "./format";

describe("durations", () => {
  it("shows at most two units", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_400)).toBe("12 s");
    expect(formatDuration(184_000)).toBe("3 min 4 s");
    expect(formatDuration(120_000)).toBe("2 min");
    expect(formatDuration((2 * 3600 + 5 * 60 + 7) * 1000)).toBe("2 h 5 min");
    expect(formatDuration((3 * 86_400 + 4 * 3600) * 1000)).toBe("3 d 4 h");
    expect(formatDuration(-1)).toBe("—");
  });

  it("counts a run from its start to its end, or to now while it runs", () => {
    const submittedAt = new Date(0).toISOString();
    expect(
      runDuration(
        { submittedAt, startedAt: new Date(2000).toISOString(), finishedAt: new Date(12_000).toISOString() },
        99_000,
      ),
    ).toBe("10 s");
    expect(runDuration({ submittedAt, startedAt: new Date(2000).toISOString(), finishedAt: null }, 7000)).toBe("5 s");
  });

  it("reads a maximum run time in the largest exact unit", () => {
    expect(splitSeconds(86_400)).toEqual({ amount: 1, unit: "days" });
    expect(splitSeconds(5400)).toEqual({ amount: 90, unit: "minutes" });
    expect(splitSeconds(7200)).toEqual({ amount: 2, unit: "hours" });
    expect(formatSeconds(86_400)).toBe("1 day");
    expect(formatSeconds(3 * 3600)).toBe("3 hours");
  });
});

describe("key=value lines", () => {
  it("parses names and values, skipping blanks and comments; values may contain =", () => {
    expect(parseKeyValueLines("seconds=600\n\n# a comment\n outdir = results \nquery=a=b")).toEqual({
      ok: true,
      values: { seconds: "600", outdir: "results", query: "a=b" },
    });
    expect(parseKeyValueLines("")).toEqual({ ok: true, values: {} });
  });

  it("lists the names typed so far, even with a line still wrong", () => {
    expect([...lineNames("TZ=UTC\n# OLD=1\n half typed\n NXF_OPTS = -Xmx1g\n=orphan\nTZ=again")]).toEqual([
      "TZ",
      "NXF_OPTS",
    ]);
    expect(lineNames("").size).toBe(0);
  });

  it("names the line that is wrong", () => {
    expect(parseKeyValueLines("a=1\nnope")).toEqual({ ok: false, error: "Line 2: write it as name=value." });
    expect(parseKeyValueLines("=1")).toEqual({ ok: false, error: "Line 1: write it as name=value." });
    expect(parseKeyValueLines("a=1\na=2")).toEqual({ ok: false, error: "Line 2: a is given twice." });
  });

  it("round-trips what the form shows", () => {
    const text = formatKeyValueLines({ seconds: 600, flag: true, outdir: "results" });
    expect(text).toBe("seconds=600\nflag=true\noutdir=results");
    expect(parseKeyValueLines(text)).toEqual({ ok: true, values: { seconds: "600", flag: "true", outdir: "results" } });
  });

  it("splits one option per line", () => {
    expect(nonEmptyLines(" --mem=8G \n\n--time=01:00:00\n")).toEqual(["--mem=8G", "--time=01:00:00"]);
  });
});

describe("when a run stops needing a watch", () => {
  it("is live until it has ended and its secrets are settled", () => {
    expect(isLive({ status: "RUNNING", secretsState: "PROVISIONED" })).toBe(true);
    expect(isLive({ status: "SUCCEEDED", secretsState: "DELETING" })).toBe(true);
    expect(isLive({ status: "SUCCEEDED", secretsState: "DELETED" })).toBe(false);
    expect(isLive({ status: "CANCELLED", secretsState: "NONE" })).toBe(false);
    expect(isLive({ status: "FAILED", secretsState: "CLEANUP_FAILED" })).toBe(false);
  });
});
