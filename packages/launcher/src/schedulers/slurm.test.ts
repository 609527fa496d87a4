import { describe, expect, it } from "vitest";
import { recorded } from "./recorded";
import { slurmDirectiveLines, slurmScheduler as slurm } from "./slurm";
import type { TSchedulerHeadSpec } from "./types";

const spec: TSchedulerHeadSpec = {
  jobName: "lockstep-0b6f0b9e-5b7c-4f55-9d7e-3c1f6a2f4e10",
  queue: "debug",
  options: ["--time=60", "--mem=4G", "--cpus-per-task=2", "--account=lab_1", "--qos=normal"],
  scriptPath: "/home/ws-a/lockstep/runs/r1/head.sh",
  workDir: "/home/ws-a/lockstep/runs/r1",
  outputPath: "/home/ws-a/lockstep/runs/r1/head.out",
};

/** The directive lines as the script file holds them, one per line. */
function scriptLines(s: TSchedulerHeadSpec): string[] {
  return slurmDirectiveLines(s).join("\n").split("\n");
}

describe("slurm scheduler: commands", () => {
  it("writes the head's directives: name, directory, output, partition, then the options in order", () => {
    expect(slurm.directives(spec)).toEqual([
      `#SBATCH --job-name=${spec.jobName}`,
      "#SBATCH --chdir=/home/ws-a/lockstep/runs/r1",
      "#SBATCH --output=/home/ws-a/lockstep/runs/r1/head.out",
      "#SBATCH --partition=debug",
      "#SBATCH --time=60",
      "#SBATCH --mem=4G",
      "#SBATCH --cpus-per-task=2",
      "#SBATCH --account=lab_1",
      "#SBATCH --qos=normal",
    ]);
    expect(slurm.directives({ ...spec, queue: undefined, options: [] })).not.toContain("#SBATCH --partition=debug");
  });

  it("submits with sbatch --parsable and the script alone (the directives carry the rest)", () => {
    expect(slurm.submit(spec).argv).toEqual(["sbatch", "--parsable", spec.scriptPath]);
    expect(recorded("slurm", "submit").argv.slice(0, 2)).toEqual(["sbatch", "--parsable"]);
  });

  it("builds the query, find-by-name, cancel, history and partition commands exactly as recorded against the real Slurm", () => {
    expect(slurm.query("4").argv).toEqual(recorded("slurm", "query-running").argv);
    expect(slurm.findByName("lockstep-ok").argv).toEqual(recorded("slurm", "find-by-name").argv);
    expect(slurm.cancel(recorded("slurm", "cancel").argv[1]!).argv).toEqual(recorded("slurm", "cancel").argv);
    expect(slurm.history!("1").argv).toEqual(recorded("slurm", "history-no-accounting").argv);
    expect(slurm.listQueues().argv).toEqual(recorded("slurm", "sinfo").argv);
  });

  it("refuses a job id that is not Slurm's before it reaches a command", () => {
    for (const bad of ["4;rm -rf ~", "-1", "4 5", "", "4\n5", "abc"]) {
      expect(() => slurm.query(bad)).toThrow(/is not a Slurm job id/);
      expect(() => slurm.cancel(bad)).toThrow(/is not a Slurm job id/);
      expect(() => slurm.history!(bad)).toThrow(/is not a Slurm job id/);
    }
  });
});

describe("slurm scheduler: real outputs", () => {
  it("reads the job id sbatch --parsable printed, with or without a cluster", () => {
    expect(slurm.parseSubmit(recorded("slurm", "submit").stdout)).toBe("4");
    expect(slurm.parseSubmit("1234;cluster-a\n")).toBe("1234");
  });

  it("refuses a submit answer that holds no job id, quoting its first line", () => {
    const bad = recorded("slurm", "submit-bad-partition");
    expect(bad.code).not.toBe(0);
    expect(() => slurm.parseSubmit(bad.stdout)).toThrow(/sbatch answered "", not a job id/);
    expect(() => slurm.parseSubmit("Submitted batch job 12\n")).toThrow(
      /sbatch answered "Submitted batch job 12", not a job id/,
    );
  });

  it("maps each recorded squeue answer to the head's state", () => {
    expect(slurm.parseQuery(recorded("slurm", "query-pending"))).toEqual({ state: "queued" });
    expect(slurm.parseQuery(recorded("slurm", "query-running"))).toEqual({ state: "running" });
    expect(slurm.parseQuery(recorded("slurm", "query-completed"))).toEqual({ state: "finished", exitCode: 0 });
    // squeue 22.05 prints the raw wait status: 768 is exit(3).
    expect(recorded("slurm", "query-failed").stdout).toContain("|FAILED|768|");
    expect(slurm.parseQuery(recorded("slurm", "query-failed"))).toEqual({ state: "finished", exitCode: 3 });
    // Cancelled with nothing recorded: not a success.
    expect(slurm.parseQuery(recorded("slurm", "query-cancelled"))).toEqual({ state: "finished", exitCode: null });
    const unknown = recorded("slurm", "query-unknown");
    expect(unknown.code).toBe(1);
    expect(slurm.parseQuery(unknown)).toEqual({ state: "unknown" });
  });

  it("reads the exit code as newer Slurm writes it (code:signal), and a signal as 128+N", () => {
    expect(slurm.parseQuery({ stdout: "7|FAILED|2:0|\n", stderr: "", code: 0 })).toEqual({
      state: "finished",
      exitCode: 2,
    });
    expect(slurm.parseQuery({ stdout: "7|TIMEOUT|0:15|\n", stderr: "", code: 0 })).toEqual({
      state: "finished",
      exitCode: 143,
    });
    expect(slurm.parseQuery({ stdout: "7|CANCELLED|9|\n", stderr: "", code: 0 })).toEqual({
      state: "finished",
      exitCode: 137,
    });
    // A purged job that a newer squeue answers with nothing.
    expect(slurm.parseQuery({ stdout: "", stderr: "", code: 0 })).toEqual({ state: "unknown" });
  });

  it("throws on squeue's own trouble and on a state it does not know, rather than guess", () => {
    expect(() =>
      slurm.parseQuery({
        stdout: "",
        stderr: "squeue: error: Unable to contact slurm controller (connect failure)\n",
        code: 1,
      }),
    ).toThrow(/squeue failed \(exit 1\): squeue: error: Unable to contact slurm controller/);
    expect(() => slurm.parseQuery({ stdout: "7|WEIRD|0|\n", stderr: "", code: 0 })).toThrow(
      /state "WEIRD", which Lockstep does not know/,
    );
  });

  it("finds a job by name (the later of two), and nothing when squeue lists none", () => {
    expect(recorded("slurm", "find-by-name").stdout).toBe("3\n1\n5\n4\n");
    expect(slurm.parseFindByName(recorded("slurm", "find-by-name").stdout)).toBe("5");
    expect(slurm.parseFindByName(recorded("slurm", "find-by-name-none").stdout)).toBeNull();
  });

  it("reads sacct's history, and a cluster without accounting as unknown", () => {
    expect(slurm.parseHistory!(recorded("slurm", "history-no-accounting"))).toEqual({ state: "unknown" });
    // sacct -P's documented form (https://slurm.schedmd.com/sacct.html: ExitCode is "exit:signal").
    expect(slurm.parseHistory!({ stdout: "12|COMPLETED|0:0\n", stderr: "", code: 0 })).toEqual({
      state: "finished",
      exitCode: 0,
    });
    expect(slurm.parseHistory!({ stdout: "12|FAILED|1:0\n", stderr: "", code: 0 })).toEqual({
      state: "finished",
      exitCode: 1,
    });
    expect(slurm.parseHistory!({ stdout: "12|CANCELLED by 1000|0:15\n", stderr: "", code: 0 })).toEqual({
      state: "finished",
      exitCode: 143,
    });
    expect(slurm.parseHistory!({ stdout: "", stderr: "", code: 0 })).toEqual({ state: "unknown" });
  });

  it("lists the partitions sinfo printed, the default's '*' dropped", () => {
    expect(slurm.parseQueues(recorded("slurm", "sinfo").stdout)).toEqual(["debug"]);
    expect(slurm.parseQueues("debug*\nlong\nlong\ngpu\n")).toEqual(["debug", "long", "gpu"]);
  });
});

describe("slurm scheduler: what reaches the directives", () => {
  it("an option with a newline would start another directive if unchecked; checked, it is refused by name", () => {
    const attack = { ...spec, options: ["--time=10\n#SBATCH --uid=0"] };
    // Positive control: without the check, the value's newline writes a directive of its own.
    expect(scriptLines(attack)).toContain("#SBATCH --uid=0");
    expect(() => slurm.directives(attack)).toThrow(/Slurm head option 1: --time: the value must be the time limit/);
    expect(() => slurm.submit(attack)).toThrow(/--time/);
  });

  it("a partition or job name with a newline or space is refused; unchecked it would add a directive", () => {
    const queueAttack = { ...spec, queue: "debug\n#SBATCH --export=ALL" };
    expect(scriptLines(queueAttack)).toContain("#SBATCH --export=ALL");
    expect(() => slurm.directives(queueAttack)).toThrow(/the partition must be one name/);
    expect(() => slurm.directives({ ...spec, queue: "debug,long" })).toThrow(/the partition must be one name/);
    const nameAttack = { ...spec, jobName: "x\n#SBATCH --uid=0" };
    expect(scriptLines(nameAttack)).toContain("#SBATCH --uid=0");
    expect(() => slurm.directives(nameAttack)).toThrow(/[Tt]he job name must start with a letter/);
    expect(() => slurm.findByName("a b")).toThrow(/[Tt]he job name/);
  });

  it("paths with spaces, '%' patterns or '..' are refused", () => {
    expect(() => slurm.directives({ ...spec, outputPath: "/home/a/head-%j.out" })).toThrow(
      /the head's output file must be an absolute path/,
    );
    expect(() => slurm.directives({ ...spec, workDir: "/home/a/my runs" })).toThrow(
      /the launch directory must be an absolute path/,
    );
    expect(() => slurm.directives({ ...spec, scriptPath: "/home/a/../b/head.sh" })).toThrow(
      /the job script must be an absolute path/,
    );
    expect(() => slurm.directives({ ...spec, scriptPath: "head.sh" })).toThrow(
      /the job script must be an absolute path/,
    );
  });
});
