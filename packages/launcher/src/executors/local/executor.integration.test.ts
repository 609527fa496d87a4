import { randomUUID } from "node:crypto";
import { existsSync, mkdirSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { executorContract } from "../../contract";
import { ExecutorError } from "../../executor";
import { SandboxError } from "../../sandbox";
import { hostFixture, type THostFixture } from "../../test/host";
import { localExecutor } from "./executor";

/**
 * The local executor with real Nextflow in the real sandbox (bubblewrap; as root, each run as a uid
 * of its own). The hostile-pipeline suite in apps/worker proves what the sandbox hides; this proves
 * the executor keeps the contract every executor keeps.
 */
let fx: THostFixture;

beforeAll(async () => {
  fx = await hostFixture("local");
}, 600_000);

afterAll(() => fx?.cleanup());

executorContract("local (real Nextflow, bubblewrap)", async () => ({
  executor: localExecutor(fx.host),
  runDir: (runId) => join(fx.runsDir, runId),
  launch: (run) => fx.launch(run),
  hold: (run) => fx.launch(run, { seconds: 600 }),
  finish: async () => {},
  headsOf: async (run) => fx.launchesIn(run.runDir),
  unknownRef: () => "999999999:1",
  misconfigured: {
    executor: localExecutor({ ...fx.host, sandbox: { bwrap: "/nonexistent/bwrap", readOnly: [] } }),
    problem: /cannot make one: .*\/nonexistent\/bwrap/,
  },
  timeoutMs: 240_000,
}));

describe("local executor specifics", () => {
  it("prepares a 0700 run directory for the run's own identity", async () => {
    const runId = randomUUID();
    const runDir = join(fx.runsDir, runId);
    const { owner } = await localExecutor(fx.host).prepare({ runId, runDir });
    const info = statSync(runDir);
    expect(info.mode & 0o777).toBe(0o700);
    if (fx.host.root) {
      expect(owner).toEqual({ uid: info.uid, gid: info.gid });
      expect(owner!.uid).toBeGreaterThanOrEqual(fx.host.runUidBase);
    } else {
      expect(owner).toBeNull();
    }
  });

  it("refuses a run directory that is a link a pipeline planted", async () => {
    const runId = randomUUID();
    const elsewhere = join(fx.base, "elsewhere");
    mkdirSync(elsewhere, { recursive: true });
    symlinkSync(elsewhere, join(fx.runsDir, runId));
    const refused = await localExecutor(fx.host)
      .prepare({ runId, runDir: join(fx.runsDir, runId) })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExecutorError);
    expect((refused as ExecutorError).message).toMatch(/is not a directory/);
  });

  it("refuses, permanently and before anything starts, a machine that cannot sandbox and a pipeline outside the roots", async () => {
    const runId = randomUUID();
    const run = { runId, runDir: join(fx.runsDir, runId) };
    const broken = localExecutor({ ...fx.host, sandboxProblem: "bwrap: No permissions to create new namespace" });
    await broken.prepare(run);
    const noSandbox = await broken.start(fx.launch(run)).catch((e: unknown) => e);
    expect(noSandbox).toBeInstanceOf(SandboxError);
    expect([(noSandbox as SandboxError).retryable, (noSandbox as SandboxError).message]).toEqual([
      false,
      expect.stringMatching(
        /^local and Slurm runs need a sandbox and this worker cannot make one: bwrap: No permissions/,
      ),
    ]);

    const outside = await localExecutor(fx.host)
      .start({ ...fx.launch(run), pipeline: "/etc" })
      .catch((e: unknown) => e);
    expect(outside).toBeInstanceOf(ExecutorError);
    expect([(outside as ExecutorError).retryable, (outside as ExecutorError).message]).toEqual([
      false,
      expect.stringMatching(/^The path is outside the allowed pipeline directories\./),
    ]);
    expect(existsSync(join(run.runDir, "head.sh"))).toBe(false);
  });
});
