import { describe, expect, it } from "vitest";
import { nextflowArgs } from "./command";

const base = { pipeline: "/p/main.nf", runDir: "/runs/r1", workDir: "/runs/r1/work", params: {}, runName: "run-r1" };

describe("nextflow head command", () => {
  it("asks for a trace file and a log inside the run directory", () => {
    const args = nextflowArgs(base);
    expect(args.slice(0, 3)).toEqual(["-log", "/runs/r1/nextflow.log", "run"]);
    expect(args).toContain("-with-trace");
    expect(args[args.indexOf("-with-trace") + 1]).toBe("/runs/r1/trace.tsv");
  });

  it("passes params as separate argv entries, so no shell ever parses them", () => {
    const args = nextflowArgs({ ...base, params: { greeting: "hello; rm -rf /", n: 3 } });
    expect(args.slice(-4)).toEqual(["--greeting", "hello; rm -rf /", "--n", "3"]);
  });

  it("rejects a param name that could be read as an option", () => {
    expect(() => nextflowArgs({ ...base, params: { "-x": 1 } })).toThrow(/param name "-x"/);
  });
});
