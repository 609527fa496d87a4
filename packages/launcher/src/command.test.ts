import { describe, expect, it } from "vitest";
import { nextflowArgs } from "./command";

const base = {
  pipeline: "/p/main.nf",
  runDir: "/runs/r1",
  workDir: "/runs/r1/work",
  paramsFile: "/runs/r1/params.json",
  runName: "run-r1",
};

describe("nextflow head command", () => {
  it("asks for a trace file and a log inside the run directory", () => {
    const args = nextflowArgs(base);
    expect(args.slice(0, 3)).toEqual(["-log", "/runs/r1/nextflow.log", "run"]);
    expect(args).toContain("-with-trace");
    expect(args[args.indexOf("-with-trace") + 1]).toBe("/runs/r1/trace.tsv");
  });

  it("passes params only as a params file: no --name option at all", () => {
    const args = nextflowArgs(base);
    expect(args.slice(-2)).toEqual(["-params-file", "/runs/r1/params.json"]);
    expect(args.filter((a) => a.startsWith("--"))).toEqual([]);
  });

  it("refuses a relative params file and a revision that could be read as an option", () => {
    expect(() => nextflowArgs({ ...base, paramsFile: "params.json" })).toThrow(/absolute/);
    expect(() => nextflowArgs({ ...base, revision: "-process.beforeScript=id" })).toThrow(/revision/);
    expect(nextflowArgs({ ...base, revision: "v1.2-rc" })).toContain("v1.2-rc");
  });

  it("leaves the params file to the cloud head's prologue", () => {
    const args = nextflowArgs({
      pipeline: "https://github.com/org/p",
      runDir: "s3://b/r1",
      workDir: "s3://b/r1/work",
      runName: "run-r1",
      place: "cloud",
    });
    expect(args).not.toContain("-params-file");
    expect(args).not.toContain("-offline");
  });
});
