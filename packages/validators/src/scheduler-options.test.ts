import { describe, expect, it } from "vitest";
import {
  SCHEDULER_OPTION_RULES,
  schedulerJobNameProblem,
  schedulerOptionProblem,
  schedulerPathProblem,
  schedulerQueueProblem,
  splitSchedulerOption,
} from "./scheduler-options";

describe("scheduler head options", () => {
  it("splits each scheduler's option form into flag and value", () => {
    expect(splitSchedulerOption("slurm", "--time=1-00:00:00")).toEqual({ flag: "--time", value: "1-00:00:00" });
    expect(splitSchedulerOption("lsf", "-W 60")).toEqual({ flag: "-W", value: "60" });
    expect(splitSchedulerOption("pbspro", "-l walltime=01:00:00")).toEqual({ flag: "-l walltime", value: "01:00:00" });
    expect(splitSchedulerOption("sge", "-pe smp 4")).toEqual({ flag: "-pe", value: "smp 4" });
    expect(splitSchedulerOption("slurm", "--time")).toBeNull();
    expect(splitSchedulerOption("lsf", "-W")).toBeNull();
  });

  it("accepts well-formed values and names the flag and rule of a refused one", () => {
    expect(schedulerOptionProblem("slurm", "--mem=16G")).toBeNull();
    expect(schedulerOptionProblem("slurm", "--mem=16 G")).toBe(
      "--mem: the value must be memory for the node, a whole number of megabytes, or with a K, M, G or T suffix; no spaces, quotes, newlines or shell characters",
    );
    expect(schedulerOptionProblem("lsf", "-M 4GB")).toBeNull();
    expect(schedulerOptionProblem("pbspro", "-l mem=4gb")).toBeNull();
    expect(schedulerOptionProblem("sge", "-l h_vmem=4G")).toBeNull();
    expect(schedulerOptionProblem("sge", "-l h_vmem=4G\n#$ -V")).toMatch(
      /^-l h_vmem: the value must be the hard virtual-memory limit/,
    );
  });

  it("explains a refused flag, and lists the allowlist for one it does not know", () => {
    expect(schedulerOptionProblem("slurm", "--uid=0")).toBe(
      "--uid is not allowed: it changes the user the head job runs as",
    );
    expect(schedulerOptionProblem("slurm", "--foo=1")).toBe(
      `--foo is not one of the Slurm head options Lockstep passes through (${SCHEDULER_OPTION_RULES.slurm.map((r) => r.flag).join(", ")})`,
    );
    expect(schedulerOptionProblem("pbspro", "-W group_list=wheel")).toBe(
      "-W is not allowed: it sets job attributes such as file staging, dependencies, sandbox and group",
    );
    expect(schedulerOptionProblem("sge", "just text")).toBe(
      "each Grid Engine head option must be of the form -l resource=value or -X value (one space)",
    );
    expect(schedulerOptionProblem("lsf", "")).toMatch(/each LSF head option must be text/);
    expect(schedulerOptionProblem("lsf", `-P ${"a".repeat(400)}`)).toBe(
      "LSF head options are at most 300 characters long",
    );
  });

  it("anchors every value pattern: no rule accepts a newline, a space before the value, or a trailing shell character", () => {
    for (const [kind, rules] of Object.entries(SCHEDULER_OPTION_RULES)) {
      for (const rule of rules) {
        for (const bad of ["1\n", "\n1", " 1", "1;", "1`", "1$", "1'", '1"', "1>"])
          expect(rule.value.test(bad), `${kind} ${rule.flag} ${JSON.stringify(bad)}`).toBe(false);
      }
    }
  });
});

describe("scheduler names and paths", () => {
  it("queues are one plain name", () => {
    expect(schedulerQueueProblem("slurm", "debug")).toBeNull();
    expect(schedulerQueueProblem("sge", "all.q")).toBeNull();
    expect(schedulerQueueProblem("slurm", "debug,long")).toMatch(/^the partition must be one name/);
    expect(schedulerQueueProblem("pbspro", "workq@server")).toMatch(/^the queue must be one name/);
  });

  it("job names start with a letter and hold no whitespace or shell characters", () => {
    expect(schedulerJobNameProblem("lockstep-0b6f0b9e-5b7c-4f55-9d7e-3c1f6a2f4e10")).toBeNull();
    expect(schedulerJobNameProblem("9lives")).toMatch(/must start with a letter/);
    expect(schedulerJobNameProblem("a\tb")).toMatch(/must start with a letter/);
  });

  it("paths are absolute and plain", () => {
    expect(schedulerPathProblem("the output", "/home/ws-a/runs/r1/head.out")).toBeNull();
    for (const bad of ["relative/x", "/a/../b", "/a/./b", "/a b", "/a/%j.out", "/a:b", "/a\nb", "/a;b", "/a/$HOME"]) {
      expect(schedulerPathProblem("the output", bad), bad).toMatch(/^the output must be an absolute path/);
    }
  });
});
