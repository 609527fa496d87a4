import { describe, expect, it } from "vitest";
import { lsfDirectiveLines, lsfScheduler as lsf } from "./lsf";
import { recorded } from "./recorded";
import type { TSchedulerHeadSpec } from "./types";

const spec: TSchedulerHeadSpec = {
  jobName: "lockstep-r1",
  options: [],
  scriptPath: "/home/ws-a/runs/r1/head.sh",
  workDir: "/home/ws-a/runs/r1",
  outputPath: "/home/ws-a/runs/r1/head.out",
};

describe("lsf scheduler: commands", () => {
  it("submits with every option on bsub's argv (bsub parses #BSUB in a script argument only with LSB_BSUB_PARSE_SCRIPT=Y)", () => {
    expect(lsf.submit(spec).argv).toEqual(recorded("lsf", "submit").argv);
    expect(lsf.submit({ ...spec, queue: "nosuch" }).argv).toEqual(recorded("lsf", "submit-bad-queue").argv);
    expect(
      lsf.submit({
        ...spec,
        queue: "normal",
        options: ["-W 120", "-M 4GB", "-n 2", "-R rusage[mem=4096]", "-R span[hosts=1]", "-P lab_1"],
      }).argv,
    ).toEqual([
      "bsub",
      "-J",
      "lockstep-r1",
      "-cwd",
      "/home/ws-a/runs/r1",
      "-oo",
      "/home/ws-a/runs/r1/head.out",
      "-q",
      "normal",
      "-W",
      "120",
      "-M",
      "4GB",
      "-n",
      "2",
      "-R",
      "rusage[mem=4096]",
      "-R",
      "span[hosts=1]",
      "-P",
      "lab_1",
      "/home/ws-a/runs/r1/head.sh",
    ]);
  });

  it("writes the same as #BSUB directives, resource strings in quotes as the bsub -R examples do", () => {
    expect(lsf.directives({ ...spec, queue: "normal", options: ["-W 120", "-R rusage[mem=4096]"] })).toEqual([
      "#BSUB -J lockstep-r1",
      "#BSUB -cwd /home/ws-a/runs/r1",
      "#BSUB -oo /home/ws-a/runs/r1/head.out",
      "#BSUB -q normal",
      "#BSUB -W 120",
      '#BSUB -R "rusage[mem=4096]"',
    ]);
  });

  it("builds query, find-by-name, cancel and queue commands as the fixtures record them", () => {
    expect(lsf.query("5085109").argv).toEqual(recorded("lsf", "query-running").argv);
    expect(lsf.findByName("lockstep-r1").argv).toEqual(recorded("lsf", "find-by-name-none").argv);
    expect(lsf.cancel("2329803").argv).toEqual(recorded("lsf", "cancel").argv);
    expect(lsf.listQueues().argv).toEqual(recorded("lsf", "queues").argv);
    expect(lsf.history).toBeUndefined();
    for (const bad of ["1;ls", "-1", "12[1]", ""]) expect(() => lsf.query(bad)).toThrow(/is not a LSF job id/);
  });
});

describe("lsf scheduler: recorded outputs", () => {
  it("reads the job id bsub printed; refuses an answer without one", () => {
    expect(lsf.parseSubmit(recorded("lsf", "submit").stdout)).toBe("2329803");
    const bad = recorded("lsf", "submit-bad-queue");
    expect(() => lsf.parseSubmit(bad.stdout + bad.stderr)).toThrow(
      /bsub answered "nosuch: No such queue. Job not submitted.", not a job id/,
    );
  });

  it("maps bjobs STAT to the head's state", () => {
    expect(lsf.parseQuery(recorded("lsf", "query-pending"), "5085604")).toEqual({ state: "queued" });
    expect(lsf.parseQuery(recorded("lsf", "query-held"), "5085611")).toEqual({ state: "queued" });
    expect(lsf.parseQuery(recorded("lsf", "query-running"), "5085109")).toEqual({ state: "running" });
    expect(lsf.parseQuery(recorded("lsf", "query-busy-banner"), "5157393")).toEqual({ state: "running" });
    expect(lsf.parseQuery(recorded("lsf", "query-done"), "5085606")).toEqual({ state: "finished", exitCode: 0 });
    // EXIT: non-zero, but bjobs -w does not say which code: the exit-code file decides.
    expect(lsf.parseQuery(recorded("lsf", "query-exit"), "5085107")).toEqual({ state: "finished", exitCode: null });
    expect(lsf.parseQuery(recorded("lsf", "query-unknown"), "123")).toEqual({ state: "unknown" });
  });

  it("does not take another job's row for the one asked about, and throws on bjobs' own trouble", () => {
    expect(lsf.parseQuery(recorded("lsf", "query-running"), "999")).toEqual({ state: "unknown" });
    expect(() => lsf.parseQuery({ stdout: "", stderr: "LSF is down. Please wait ...\n", code: 255 })).toThrow(
      /bjobs failed \(exit 255\): LSF is down/,
    );
    const row = recorded("lsf", "query-running").stdout.replace(" RUN ", " WEIRD ");
    expect(() => lsf.parseQuery({ stdout: row, stderr: "", code: 0 })).toThrow(
      /state "WEIRD", which Lockstep does not know/,
    );
  });

  it("finds by name from bjobs rows, nothing when LSF has none", () => {
    expect(lsf.parseFindByName(recorded("lsf", "query-running").stdout)).toBe("5085109");
    expect(lsf.parseFindByName(recorded("lsf", "find-by-name-none").stdout)).toBeNull();
  });

  it("lists queues from bqueues", () => {
    expect(lsf.parseQueues(recorded("lsf", "queues").stdout)).toEqual(["owners", "priority", "night", "normal"]);
    expect(() => lsf.parseQueues("LSF is down.\n")).toThrow(/not a queue table/);
  });

  it("a newline in an unchecked option writes a directive of its own; checked, it is refused", () => {
    const attack = { ...spec, options: ["-W 60\n#BSUB -oo /home/ws-b/stolen.out"] };
    // (the value's space puts it in quotes; the line after the newline is a directive all the same)
    expect(
      lsfDirectiveLines(attack)
        .join("\n")
        .split("\n")
        .some((l) => l.startsWith("#BSUB -oo /home/ws-b/stolen.out")),
    ).toBe(true);
    expect(() => lsf.directives(attack)).toThrow(/LSF head option 1: -W: the value must be the run limit/);
    expect(() => lsf.submit(attack)).toThrow(/-W/);
  });
});
