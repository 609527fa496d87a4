import { randomUUID } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  freePort,
  startSlurm,
  startSshd,
  type TStartedSlurm,
  type TStartedSshd,
  type TSshAccount,
} from "@lockstep/devstack";
import { executorContract } from "../../contract";
import { ExecutorError, type TRunLaunch } from "../../executor";
import { slurmScheduler } from "../../schedulers/slurm";
import { hostFixture, type THostFixture } from "../../test/host";
import { probeHostKey, SshPool, type TSshEndpoint } from "./connection";
import { sshClusterExecutor, type TSshClusterConfig } from "./executor";

/**
 * The SSH executor against real components: an OpenSSH server on a loopback port standing in for
 * a cluster's login node (its own host key, two Unix accounts for two workspaces), the devstack's
 * single-node Slurm behind it, and the pinned Nextflow staged into each account's ~/.cache over
 * SFTP. The worker side holds no Slurm client configuration: SLURM_CONF reaches the accounts'
 * sessions from the login node (sshd's SetEnv), as a cluster's own profile would. Needs root.
 */
const isRoot = process.getuid?.() === 0;
let fx: THostFixture;
let slurm: TStartedSlurm;
let sshd: TStartedSshd;
const pool = new SshPool({ readyMs: 10_000, execMs: 60_000, attempts: 2, backoffMs: 100 }, 5_000);

beforeAll(async () => {
  if (!isRoot) return;
  fx = await hostFixture("ssh");
  const slurmDir = join(fx.base, "slurm");
  mkdirSync(slurmDir);
  slurm = await startSlurm(slurmDir);
  sshd = await startSshd(join(fx.base, "sshd"), {
    users: ["lockstep-ws-a", "lockstep-ws-b"],
    env: { SLURM_CONF: slurm.conf },
  });
}, 600_000);

afterAll(async () => {
  await pool.closeAll();
  await sshd?.stop();
  await slurm?.stop();
  fx?.cleanup();
});

function endpointOf(account: TSshAccount, overrides: Partial<TSshEndpoint> = {}): TSshEndpoint {
  return {
    host: sshd.host,
    port: sshd.port,
    user: account.user,
    privateKey: account.privateKey,
    ...(account.passphrase ? { passphrase: account.passphrase } : {}),
    hostKeySha256: sshd.hostKeySha256(),
    ...overrides,
  };
}

const launchDirOf = (account: TSshAccount) => join(account.home, "lockstep", "runs");
const workDirOf = (account: TSshAccount) => join(account.home, "lockstep", "work");

function configFor(account: TSshAccount, overrides: Partial<TSshClusterConfig> = {}): TSshClusterConfig {
  return {
    scheduler: slurmScheduler,
    endpoint: endpointOf(account),
    workDir: workDirOf(account),
    launchDir: launchDirOf(account),
    queue: "debug",
    headOptions: [],
    java: "java",
    nextflow: { stage: true },
    nextflowLib: fx.host.nextflowLib,
    pool,
    ...overrides,
  };
}

/** The contract's pipeline, by its main.nf on the (shared) filesystem the cluster accounts can read. */
function launchOf(run: { runId: string; runDir: string }, params: Record<string, string | number> = {}): TRunLaunch {
  const launch = fx.launch(run, params);
  return { ...launch, pipeline: join(fx.pipelines, "contract", "main.nf") };
}

describe.runIf(isRoot)("SSH executor (Slurm over SSH)", () => {
  executorContract("ssh-slurm (real sshd, real single-node Slurm, real Nextflow staged over SFTP)", async () => {
    const a = sshd.accounts[0]!;
    return {
      executor: sshClusterExecutor(configFor(a)),
      runDir: (runId) => join(launchDirOf(a), runId),
      launch: (run) => launchOf(run),
      hold: (run) => launchOf(run, { seconds: 600 }),
      finish: async () => {},
      // Every head that ran wrote its "Launching" line to the run's console (the test runs as root and reads it directly).
      headsOf: async (run) => fx.launchesIn(run.runDir),
      unknownRef: () => "999999999",
      misconfigured: {
        executor: sshClusterExecutor(configFor(a, { queue: "no-such-partition" })),
        problem: /Slurm has no partition no-such-partition \(it has debug\)/,
      },
      unreachable: sshClusterExecutor(configFor(a, { endpoint: endpointOf(a, { port: await freePort() }) })),
      timeoutMs: 300_000,
    };
  });

  describe("ssh executor specifics", () => {
    it(
      "runs the head as the workspace's own cluster account, in a 0700 run directory, with Nextflow staged and verified in ~/.cache",
      { timeout: 300_000 },
      async () => {
        const b = sshd.accounts[1]!; // the account whose key has a passphrase
        const executor = sshClusterExecutor(configFor(b));
        const runId = randomUUID();
        const run = { runId, runDir: join(launchDirOf(b), runId) };
        await executor.prepare(run);
        expect(statSync(run.runDir).uid).toBe(b.uid);
        expect(statSync(run.runDir).mode & 0o777).toBe(0o700);
        const { ref } = await executor.start(launchOf(run, { seconds: 600 }));
        const job = spawnSync("scontrol", ["show", "job", ref], {
          env: { PATH: process.env.PATH, SLURM_CONF: slurm.conf },
          encoding: "utf8",
        }).stdout;
        expect(job).toContain(`JobName=lockstep-${runId}`);
        expect(job).toMatch(new RegExp(`UserId=lockstep-ws-b\\(${b.uid}\\)`));
        expect(job).toContain("Partition=debug");
        const staged = join(b.home, ".cache", "lockstep", "nextflow", fx.launch(run).nextflowVersion, "lib");
        expect(statSync(staged).uid).toBe(b.uid);
        expect(readFileSync(join(run.runDir, "job.sh"), "utf8")).toContain(
          `exec /bin/sh '${join(run.runDir, "head.sh")}'`,
        );
        await executor.cancel({ ...run, ref });
      },
    );

    it(
      "a start whose submit answer was lost finds the job by its name instead of submitting another",
      { timeout: 180_000 },
      async () => {
        const a = sshd.accounts[0]!;
        const executor = sshClusterExecutor(configFor(a));
        const runId = randomUUID();
        const run = { runId, runDir: join(launchDirOf(a), runId) };
        await executor.prepare(run);
        const { ref } = await executor.start(launchOf(run, { seconds: 600 }));
        await executor.release({ ...run, ref }); // as if the worker had died before recording it
        expect((await executor.start(launchOf(run, { seconds: 600 }))).ref).toBe(ref);
        await executor.cancel({ ...run, ref });
      },
    );

    it("a head option outside the scheduler's allowlist is refused before anything is sent", () => {
      const a = sshd.accounts[0]!;
      expect(() => sshClusterExecutor(configFor(a, { headOptions: ["--wrap=cat /etc/shadow"] }))).toThrow(/--wrap/);
    });

    it(
      "probeHostKey reports the fingerprint the login node presents, without authenticating; an unconfirmed key is refused",
      { timeout: 60_000 },
      async () => {
        const a = sshd.accounts[0]!;
        expect(await probeHostKey(sshd.host, sshd.port)).toBe(sshd.hostKeySha256());
        const unpinned = sshClusterExecutor(configFor(a, { endpoint: endpointOf(a, { hostKeySha256: null }) }));
        const refused = await unpinned.check().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ExecutorError);
        expect((refused as ExecutorError).retryable).toBe(false);
        expect((refused as Error).message).toMatch(/has not been confirmed/);
      },
    );

    // Last: it replaces the login node's host key.
    it(
      "a changed host key is refused, permanently and saying so; the confirmed new key is accepted (positive control)",
      { timeout: 60_000 },
      async () => {
        const a = sshd.accounts[0]!;
        const before = sshd.hostKeySha256();
        // Positive control: the confirmed key connects.
        await expect(sshClusterExecutor(configFor(a)).check()).resolves.toMatchObject({
          reached: expect.stringContaining("lockstep-ws-a@127.0.0.1"),
        });
        await pool.closeAll();
        const after = await sshd.rotateHostKey();
        expect(after).not.toBe(before);
        const stale = sshClusterExecutor(configFor(a, { endpoint: endpointOf(a, { hostKeySha256: before }) }));
        const refused = await stale.check().catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ExecutorError);
        expect((refused as ExecutorError).retryable).toBe(false);
        expect((refused as Error).message).toContain(`presented ${after}, but ${before} was confirmed`);
        // Nothing was run on the host under the stale pin: the key was refused before authentication.
        expect((refused as Error).message).not.toContain(a.privateKey.slice(40, 80));
        await expect(
          sshClusterExecutor(configFor(a, { endpoint: endpointOf(a, { hostKeySha256: after }) })).check(),
        ).resolves.toMatchObject({ reached: expect.any(String) });
      },
    );
  });
});
