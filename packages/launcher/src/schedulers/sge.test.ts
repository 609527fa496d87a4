import { describe, expect, it } from "vitest";
import { recorded } from "./recorded";
import { sgeDirectiveLines, sgeScheduler as sge } from "./sge";
import type { TSchedulerHeadSpec } from "./types";

const spec: TSchedulerHeadSpec = {
  jobName: "lockstep-r1",
  queue: "all.q",
  options: ["-l h_rt=02:00:00", "-l h_vmem=4G", "-pe smp 2", "-P lab_1"],
  scriptPath: "/home/ws-a/runs/r1/head.sh",
  workDir: "/home/ws-a/runs/r1",
  outputPath: "/home/ws-a/runs/r1/head.out",
};

describe("sge scheduler: commands", () => {
  it("writes #$ directives (sh, joined output, working directory) and submits with -terse", () => {
    expect(sge.directives(spec)).toEqual([
      "#$ -N lockstep-r1",
      "#$ -wd /home/ws-a/runs/r1",
      "#$ -o /home/ws-a/runs/r1/head.out",
      "#$ -j y",
      "#$ -S /bin/sh",
      "#$ -q all.q",
      "#$ -l h_rt=02:00:00",
      "#$ -l h_vmem=4G",
      "#$ -pe smp 2",
      "#$ -P lab_1",
    ]);
    expect(sge.submit(spec).argv).toEqual(recorded("sge", "submit").argv);
  });

  it("builds query, history, find-by-name, cancel and queue commands as the fixtures record them", () => {
    expect(sge.query("7548318").argv).toEqual(recorded("sge", "qstat").argv);
    expect(sge.history!("6892").argv).toEqual(recorded("sge", "history-nonzero").argv);
    expect(sge.findByName("lockstep-r1").argv).toEqual(recorded("sge", "find-by-name").argv);
    expect(sge.cancel("6894").argv).toEqual(recorded("sge", "cancel").argv);
    expect(sge.listQueues().argv).toEqual(recorded("sge", "queues").argv);
    for (const bad of ["1;ls", "-1", "1.1-10:1", ""])
      expect(() => sge.cancel(bad)).toThrow(/is not a Grid Engine job id/);
  });
});

describe("sge scheduler: recorded outputs", () => {
  it("reads the job id from -terse, and from the long answer", () => {
    expect(sge.parseSubmit(recorded("sge", "submit").stdout)).toBe("6472");
    expect(sge.parseSubmit(recorded("sge", "submit-verbose").stdout)).toBe("1258076");
    expect(sge.parseSubmit("12345.1-10:1\n")).toBe("12345");
    expect(() =>
      sge.parseSubmit('Unable to run job: Job was rejected because job requests unknown queue "x".\nExiting.\n'),
    ).toThrow(/qsub answered "Unable to run job/);
  });

  it("finds the job's row in qstat and maps its state letters", () => {
    const q = recorded("sge", "qstat");
    expect(sge.parseQuery(q, "7548318")).toEqual({ state: "running" });
    expect(sge.parseQuery(q, "7548349")).toEqual({ state: "queued" });
    expect(sge.parseQuery(q, "7548904")).toEqual({ state: "queued" });
    expect(sge.parseQuery(q, "47261")).toEqual({ state: "running" });
    // Eqw: in error, it never starts by itself.
    expect(sge.parseQuery(q, "7548960")).toEqual({ state: "finished", exitCode: null });
    const u = recorded("sge", "qstat-univa");
    expect(sge.parseQuery(u, "1219")).toEqual({ state: "running" });
    expect(sge.parseQuery(u, "1258")).toEqual({ state: "running" });
    expect(sge.parseQuery(u, "1261")).toEqual({ state: "queued" });
    expect(sge.parseQuery(u, "1265")).toEqual({ state: "running" });
    expect(sge.parseQuery(u, "1270")).toEqual({ state: "queued" });
  });

  it("a job not in qstat is unknown (then qacct); the parser needs the job id", () => {
    expect(sge.parseQuery(recorded("sge", "qstat"), "12")).toEqual({ state: "unknown" });
    expect(sge.parseQuery(recorded("sge", "qstat-empty"), "12")).toEqual({ state: "unknown" });
    expect(() => sge.parseQuery(recorded("sge", "qstat"))).toThrow(/parseQuery needs the job id/);
    expect(() =>
      sge.parseQuery(
        { stdout: "", stderr: "error: commlib error: got select error (Connection refused)\n", code: 1 },
        "12",
      ),
    ).toThrow(/qstat failed \(exit 1\): error: commlib error/);
  });

  it("reads qacct's exit status; a job Grid Engine killed has no code of its own unless non-zero", () => {
    expect(sge.parseHistory!(recorded("sge", "history-ok"))).toEqual({ state: "finished", exitCode: 0 });
    expect(sge.parseHistory!(recorded("sge", "history-nonzero"))).toEqual({ state: "finished", exitCode: 1 });
    expect(sge.parseHistory!(recorded("sge", "history-killed"))).toEqual({ state: "finished", exitCode: 137 });
    expect(sge.parseHistory!(recorded("sge", "history-unknown"))).toEqual({ state: "unknown" });
  });

  it("finds by name from qstat -j, nothing when the name has no job", () => {
    expect(sge.parseFindByName(recorded("sge", "find-by-name").stdout)).toBe("6892");
    expect(sge.parseFindByName(recorded("sge", "find-by-name-none").stdout)).toBeNull();
  });

  it("lists queues from qconf -sql", () => {
    expect(sge.parseQueues(recorded("sge", "queues").stdout)).toEqual(["all.q", "long", "short"]);
  });

  it("a newline in an unchecked option writes a directive of its own; checked, it is refused", () => {
    const attack = { ...spec, options: ["-l h_rt=01:00:00\n#$ -v LD_PRELOAD=/tmp/x.so"] };
    expect(sgeDirectiveLines(attack).join("\n").split("\n")).toContain("#$ -v LD_PRELOAD=/tmp/x.so");
    expect(() => sge.directives(attack)).toThrow(
      /Grid Engine head option 1: -l h_rt: the value must be the hard run-time limit/,
    );
  });
});
