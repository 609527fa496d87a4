import { describe, expect, it } from "vitest";
import { pbsproDirectiveLines, pbsproScheduler as pbs } from "./pbspro";
import { recorded } from "./recorded";
import type { TSchedulerHeadSpec } from "./types";

const spec: TSchedulerHeadSpec = {
  jobName: "lockstep-r1",
  queue: "workq",
  options: ["-l walltime=02:00:00", "-l select=1:ncpus=2:mem=4gb", "-A lab_1"],
  scriptPath: "/home/ws-a/runs/r1/head.sh",
  workDir: "/home/ws-a/runs/r1",
  outputPath: "/home/ws-a/runs/r1/head.out",
};

describe("pbspro scheduler: commands", () => {
  it("writes #PBS directives and submits the script alone", () => {
    expect(pbs.directives(spec)).toEqual([
      "#PBS -N lockstep-r1",
      "#PBS -o /home/ws-a/runs/r1/head.out",
      "#PBS -j oe",
      "#PBS -q workq",
      "#PBS -l walltime=02:00:00",
      "#PBS -l select=1:ncpus=2:mem=4gb",
      "#PBS -A lab_1",
    ]);
    expect(pbs.submit(spec).argv).toEqual(recorded("pbspro", "submit").argv);
  });

  it("builds query, find-by-name, cancel and queue commands as the fixtures record them", () => {
    expect(pbs.query("731.master").argv).toEqual(recorded("pbspro", "query-unknown").argv);
    expect(pbs.findByName("lockstep-r1").argv).toEqual(recorded("pbspro", "find-by-name").argv);
    expect(pbs.cancel("123").argv).toEqual(recorded("pbspro", "cancel-unknown").argv);
    expect(pbs.listQueues().argv).toEqual(recorded("pbspro", "queues").argv);
    for (const bad of ["12.server;ls", "-1", "12 13", "12.server\n13", "@server"])
      expect(() => pbs.query(bad)).toThrow(/is not a PBS Pro job id/);
  });
});

describe("pbspro scheduler: recorded outputs", () => {
  it("reads the job id qsub printed", () => {
    expect(pbs.parseSubmit(recorded("pbspro", "submit").stdout)).toBe("10.localhost");
    expect(pbs.parseSubmit("1584288.biocluster.igb.illinois.edu")).toBe("1584288.biocluster.igb.illinois.edu");
    expect(() => pbs.parseSubmit("qsub: Unknown queue\n")).toThrow(/qsub answered "qsub: Unknown queue", not a job id/);
  });

  it("maps job_state and Exit_status to the head's state", () => {
    expect(pbs.parseQuery(recorded("pbspro", "query-queued"), "14.localhost")).toEqual({ state: "queued" });
    expect(pbs.parseQuery(recorded("pbspro", "query-held"), "17")).toEqual({ state: "queued" });
    expect(pbs.parseQuery(recorded("pbspro", "query-running"), "13.localhost")).toEqual({ state: "running" });
    expect(pbs.parseQuery(recorded("pbspro", "query-exiting"), "16.localhost")).toEqual({ state: "running" });
    expect(pbs.parseQuery(recorded("pbspro", "query-finished-ok"), "12.localhost")).toEqual({
      state: "finished",
      exitCode: 0,
    });
    expect(pbs.parseQuery(recorded("pbspro", "query-finished-nonzero"), "12.localhost")).toEqual({
      state: "finished",
      exitCode: 3,
    });
    // 256+15: killed by SIGTERM, reported as a shell would (128+15).
    expect(pbs.parseQuery(recorded("pbspro", "query-finished-signal"), "12.localhost")).toEqual({
      state: "finished",
      exitCode: 143,
    });
    expect(pbs.parseQuery(recorded("pbspro", "query-finished-never-ran"), "12.localhost")).toEqual({
      state: "finished",
      exitCode: null,
    });
  });

  it("an unknown or purged job is unknown; qstat's own trouble throws", () => {
    expect(pbs.parseQuery(recorded("pbspro", "query-unknown"), "731.master")).toEqual({ state: "unknown" });
    expect(pbs.parseQuery(recorded("pbspro", "query-finished-without-x"))).toEqual({ state: "unknown" });
    expect(pbs.parseQuery(recorded("pbspro", "query-running"), "99.localhost")).toEqual({ state: "unknown" });
    expect(() =>
      pbs.parseQuery({
        stdout: "",
        stderr: "Connection refused\nqstat: cannot connect to server pbs01 (errno=15010)\n",
        code: 2,
      }),
    ).toThrow(/qstat failed \(exit 2\): Connection refused/);
  });

  it("reads a value continued on a tab-indented line without losing the record", () => {
    const r = recorded("pbspro", "query-running");
    expect(r.stdout).toContain("\n\tPBS_O_WORKDIR=");
    expect(pbs.parseQuery(r)).toEqual({ state: "running" });
  });

  it("finds by name (the later job), nothing when qselect prints none", () => {
    expect(pbs.parseFindByName(recorded("pbspro", "find-by-name").stdout)).toBe("14.localhost");
    expect(pbs.parseFindByName(recorded("pbspro", "find-by-name-none").stdout)).toBeNull();
  });

  it("lists queues from qstat -Q", () => {
    expect(pbs.parseQueues(recorded("pbspro", "queues").stdout)).toEqual(["workq", "long"]);
  });

  it("a newline in an unchecked option writes a directive of its own; checked, it is refused", () => {
    const attack = { ...spec, options: ["-l walltime=01:00:00\n#PBS -W sandbox=PRIVATE"] };
    expect(pbsproDirectiveLines(attack).join("\n").split("\n")).toContain("#PBS -W sandbox=PRIVATE");
    expect(() => pbs.directives(attack)).toThrow(
      /PBS Pro head option 1: -l walltime: the value must be the wall-clock limit/,
    );
  });
});
