import { execFile } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSlurm, type TStartedSlurm } from "@lockstep/devstack";
import { slurmDirectiveLines, slurmScheduler as slurm } from "./slurm";
import type { TCommand, TCommandResult, TSchedulerHeadSpec, TSchedulerJobState } from "./types";

/**
 * The Slurm scheduler's argv and parsers against a real single-node Slurm (Debian slurm-wlm,
 * started by the devstack; needs root): what the SSH executor runs on a login node, run here
 * directly.
 */
const isRoot = process.getuid?.() === 0;
let base: string;
let cluster: TStartedSlurm;

beforeAll(async () => {
  if (!isRoot) return;
  base = mkdtempSync(join(tmpdir(), "lockstep-sched-slurm-"));
  chmodSync(base, 0o755);
  mkdirSync(join(base, "slurm"));
  cluster = await startSlurm(join(base, "slurm"));
}, 600_000);

afterAll(async () => {
  await cluster?.stop();
  if (base) rmSync(base, { recursive: true, force: true });
});

function run({ argv }: TCommand): Promise<TCommandResult> {
  return new Promise((resolve) => {
    execFile(
      argv[0]!,
      argv.slice(1),
      { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", SLURM_CONF: cluster.conf }, timeout: 30_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 255) : 0;
        resolve({ stdout, stderr, code });
      },
    );
  });
}

/** A head job's script: the scheduler's directives, then the body. */
function writeJob(name: string, body: string, options: string[] = ["--time=5"]): TSchedulerHeadSpec {
  const dir = join(base, name);
  mkdirSync(dir);
  const spec: TSchedulerHeadSpec = {
    jobName: `lockstep-${name}`,
    queue: cluster.partition,
    options,
    scriptPath: join(dir, "head.sh"),
    workDir: dir,
    outputPath: join(dir, "head.out"),
  };
  writeFileSync(spec.scriptPath, ["#!/bin/sh", ...slurm.directives(spec), body, ""].join("\n"), { mode: 0o755 });
  return spec;
}

async function submit(spec: TSchedulerHeadSpec, extra: string[] = []): Promise<string> {
  const argv = slurm.submit(spec).argv;
  const r = await run({ argv: [argv[0]!, ...extra, ...argv.slice(1)] });
  expect(r.code, r.stderr).toBe(0);
  return slurm.parseSubmit(r.stdout);
}

async function stateOf(id: string): Promise<TSchedulerJobState> {
  return slurm.parseQuery(await run(slurm.query(id)));
}

async function untilFinished(id: string): Promise<TSchedulerJobState> {
  const deadline = Date.now() + 90_000;
  for (;;) {
    const state = await stateOf(id);
    if (state.state === "finished" || state.state === "unknown") return state;
    if (Date.now() > deadline) throw new Error(`job ${id} still ${state.state}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

describe.runIf(isRoot)("slurm scheduler against a real Slurm", () => {
  it(
    "submits a script with its directives, finds it by name, and reads it to a finish with exit 0",
    { timeout: 120_000 },
    async () => {
      const spec = writeJob("ok", "pwd; echo hello from the head");
      const id = await submit(spec);
      expect(slurm.parseFindByName((await run(slurm.findByName(spec.jobName))).stdout)).toBe(id);
      expect(await untilFinished(id)).toEqual({ state: "finished", exitCode: 0 });
      // The directives were obeyed: the output file, the working directory.
      expect(readFileSync(spec.outputPath, "utf8")).toBe(`${spec.workDir}\nhello from the head\n`);
    },
  );

  it("reads a non-zero exit", { timeout: 120_000 }, async () => {
    const id = await submit(writeJob("fails", "exit 3"));
    expect(await untilFinished(id)).toEqual({ state: "finished", exitCode: 3 });
  });

  it("sees a running job as running; cancelled, it ended on SIGTERM (128+15)", { timeout: 120_000 }, async () => {
    const id = await submit(writeJob("runs", "sleep 30"));
    const deadline = Date.now() + 60_000;
    let state = await stateOf(id);
    while (state.state === "queued" && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 300));
      state = await stateOf(id);
    }
    expect(state).toEqual({ state: "running" });
    expect((await run(slurm.cancel(id))).code).toBe(0);
    expect(await untilFinished(id)).toEqual({ state: "finished", exitCode: 143 });
  });

  it("a held job is queued; cancelled, it has finished without an exit code", { timeout: 120_000 }, async () => {
    const id = await submit(writeJob("held", "echo never"), ["--hold"]);
    expect(await stateOf(id)).toEqual({ state: "queued" });
    expect((await run(slurm.cancel(id))).code).toBe(0);
    expect(await untilFinished(id)).toEqual({ state: "finished", exitCode: null });
  });

  it("a job id Slurm never had is unknown; its history, on a cluster without accounting, too", async () => {
    expect(await stateOf("987654321")).toEqual({ state: "unknown" });
    expect(slurm.parseHistory!(await run(slurm.history!("987654321")))).toEqual({ state: "unknown" });
    expect(slurm.parseFindByName((await run(slurm.findByName("lockstep-never-submitted"))).stdout)).toBeNull();
  });

  it("lists the cluster's partitions", async () => {
    expect(slurm.parseQueues((await run(slurm.listQueues())).stdout)).toEqual([cluster.partition]);
  });

  it(
    "sbatch obeys a directive a newline in an unchecked option adds; the checked directives refuse it",
    { timeout: 120_000 },
    async () => {
      const dir = join(base, "injected");
      mkdirSync(dir);
      const spec: TSchedulerHeadSpec = {
        jobName: "lockstep-injected",
        options: ["--time=5\n#SBATCH --job-name=taken-over"],
        scriptPath: join(dir, "head.sh"),
        workDir: dir,
        outputPath: join(dir, "head.out"),
      };
      // Positive control: the unchecked lines, submitted, rename the job.
      writeFileSync(spec.scriptPath, ["#!/bin/sh", ...slurmDirectiveLines(spec), "true", ""].join("\n"), {
        mode: 0o755,
      });
      const id = slurm.parseSubmit((await run({ argv: ["sbatch", "--parsable", "--hold", spec.scriptPath] })).stdout);
      const shown = await run({ argv: ["squeue", "-h", "-j", id, "-o", "%j"] });
      expect(shown.stdout.trim()).toBe("taken-over");
      await run(slurm.cancel(id));
      expect(() => slurm.directives(spec)).toThrow(/Slurm head option 1: --time: the value must be/);
    },
  );
});
