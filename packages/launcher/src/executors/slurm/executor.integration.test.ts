import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startSlurm, type TStartedSlurm } from "@lockstep/devstack";
import { executorContract } from "../../contract";
import { hostFixture, slurmOutputsIn, type THostFixture } from "../../test/host";
import { slurmExecutor } from "./executor";

/**
 * The host-Slurm executor against a real single-node Slurm (Debian slurm-wlm, started by the
 * devstack; needs root), real Nextflow in the same sandbox a local head gets, heads submitted as
 * the unprivileged run user.
 */
const isRoot = process.getuid?.() === 0;
let fx: THostFixture;
let slurm: TStartedSlurm;
/** A copy of the cluster's config naming controller ports nobody listens on. */
let deadConf: string;

beforeAll(async () => {
  if (!isRoot) return;
  fx = await hostFixture("slurm");
  const dir = join(fx.base, "slurm");
  mkdirSync(dir);
  slurm = await startSlurm(dir);
  fx.host.baseEnv = { ...fx.host.baseEnv, SLURM_CONF: slurm.conf };
  const deadDir = join(fx.base, "dead-slurm");
  mkdirSync(deadDir);
  deadConf = join(deadDir, "slurm.conf");
  const [p1, p2] = [await freePort(), await freePort()];
  writeFileSync(
    deadConf,
    readFileSync(slurm.conf, "utf8")
      .replace(/^SlurmctldPort=\d+$/m, `SlurmctldPort=${p1}`)
      .replace(/^SlurmdPort=\d+$/m, `SlurmdPort=${p2}`),
  );
}, 600_000);

afterAll(async () => {
  await slurm?.stop();
  fx?.cleanup();
});

const config = { partition: "debug", sbatchOptions: ["--time=10"] };

describe.runIf(isRoot)("host Slurm", () => {
  executorContract("slurm (real single-node Slurm, real Nextflow, bubblewrap)", async () => ({
    executor: slurmExecutor(config, fx.host),
    runDir: (runId) => join(fx.runsDir, runId),
    launch: (run) => fx.launch(run),
    hold: (run) => fx.launch(run, { seconds: 600 }),
    finish: async () => {},
    headsOf: async (run) => slurmOutputsIn(run.runDir),
    unknownRef: () => "999999999",
    misconfigured: {
      executor: slurmExecutor({ partition: "no-such-partition", sbatchOptions: [] }, fx.host),
      problem: /Slurm has no partition no-such-partition \(it has debug\)/,
    },
    unreachable: slurmExecutor(config, { ...fx.host, baseEnv: { ...fx.host.baseEnv, SLURM_CONF: deadConf } }),
    timeoutMs: 240_000,
  }));

  describe("slurm executor specifics", () => {
    it(
      "submits a batch script that builds the head's environment from nothing, as the run user",
      { timeout: 300_000 },
      async () => {
        const executor = slurmExecutor(config, fx.host);
        const runId = randomUUID();
        const run = { runId, runDir: join(fx.runsDir, runId) };
        const { owner } = await executor.prepare(run);
        const runUser = Number(spawnSync("id", ["-u", "lockstep-run"], { encoding: "utf8" }).stdout.trim());
        expect(owner?.uid).toBe(runUser);
        expect(statSync(run.runDir).uid).toBe(runUser);
        const { ref } = await executor.start({
          ...fx.launch(run),
          env: { FROM_THE_COMPUTE_ENV: "yes" },
          secretsEnv: { NXF_SECRETS_FILE: join(run.runDir, "secrets", "store.json") },
        });
        const script = readFileSync(join(run.runDir, "sbatch.sh"), "utf8");
        expect(script).toMatch(/^exec \/usr\/bin\/env -i /m);
        expect(script).toContain("'FROM_THE_COMPUTE_ENV=yes'");
        expect(script).toContain(`'NXF_SECRETS_FILE=${join(run.runDir, "secrets", "store.json")}'`);
        expect(script).toContain("'--unshare-pid'");
        // Nothing of the worker's environment (here: the test's) is in the job's.
        expect(script).not.toContain("SLURM_CONF");
        const job = spawnSync("scontrol", ["show", "job", ref], {
          env: { PATH: process.env.PATH, SLURM_CONF: slurm.conf },
          encoding: "utf8",
        }).stdout;
        expect(job).toContain(`JobName=lockstep-${runId}`);
        expect(job).toMatch(new RegExp(`UserId=lockstep-run\\(${runUser}\\)`));
        await executor.cancel({ ...run, ref });
      },
    );

    it(
      "a start whose sbatch answer was lost finds the job by its name instead of submitting another",
      { timeout: 120_000 },
      async () => {
        const executor = slurmExecutor(config, fx.host);
        const runId = randomUUID();
        const run = { runId, runDir: join(fx.runsDir, runId) };
        await executor.prepare(run);
        const { ref } = await executor.start(fx.launch(run, { seconds: 600 }));
        // As if the worker had died before recording it.
        await executor.release({ ...run, ref });
        expect((await executor.start(fx.launch(run, { seconds: 600 }))).ref).toBe(ref);
        const queued = spawnSync("squeue", ["-h", "--name", `lockstep-${runId}`, "-o", "%i"], {
          env: { PATH: process.env.PATH, SLURM_CONF: slurm.conf },
          encoding: "utf8",
        });
        expect(queued.stdout.trim().split(/\s+/)).toEqual([ref]);
        await executor.cancel({ ...run, ref });
      },
    );
  });
});
