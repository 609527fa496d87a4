import { createHash, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, eq, getComputeEnvById, readRunLog, schema, type TRun } from "@lockstep/db";
import {
  freePort,
  startSlurm,
  startSshd,
  type TSshAccount,
  type TStartedSlurm,
  type TStartedSshd,
} from "@lockstep/devstack";
import { installNextflow, NEXTFLOW_VERSION, SshPool, withRemoteFiles, type TSshEndpoint } from "@lockstep/launcher";
import { createQueues, createRedis, enqueue } from "@lockstep/queue";
import { sshFileProvider } from "@lockstep/secrets";
import { parseComputeEnv, sshSettingsOf } from "@lockstep/validators";
import { childBaseEnv } from "./env";
import type { TRuntime } from "./runtime";
import { pipelinesRoot, settled, testKeys, waitForRun, workspaceWithLauncher } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/**
 * Slurm over SSH, end to end, as two workspaces with two cluster accounts: the API creates the
 * credentials and environments, "Check connection" shows the login node's host key and a person
 * confirms it, the worker provisions each run's store over SFTP as that workspace's account,
 * submits the head with sbatch over SSH, follows it with squeue and the trace, and deletes the
 * store. The worker itself has no Slurm configuration (its environment has no SLURM_CONF): only
 * the login node's sessions do. Real sshd, real Slurm, real Nextflow; needs root.
 */
const isRoot = process.getuid?.() === 0;
const prefix = `it-ssh-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys("ssh-it");
const pool = new SshPool({ readyMs: 10_000, execMs: 60_000, attempts: 2, backoffMs: 200 }, 5_000);
const base = mkdtempSync(join(tmpdir(), "lockstep-ssh-it-"));
chmodSync(base, 0o711);
let workers: TWorkers;
let slurm: TStartedSlurm;
let sshd: TStartedSshd;

beforeAll(async () => {
  if (!isRoot) return;
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  slurm = await startSlurm(join(base, "slurm"));
  sshd = await startSshd(join(base, "sshd"), {
    users: ["lockstep-ws-a", "lockstep-ws-b"],
    env: { SLURM_CONF: slurm.conf },
  });
  const runtime: TRuntime = {
    baseEnv: childBaseEnv(),
    monitorIntervalMs: 500,
    nextflowLib: async () => libDir,
    localPipelineRoots: [pipelinesRoot],
    sshPool: pool,
  };
  expect(runtime.baseEnv.SLURM_CONF).toBeUndefined();
  workers = startWorkers({ db, keys, queues, runtime, connection: redis, prefix, logger, concurrency: 4 });
}, 600_000);

afterAll(async () => {
  await workers?.close();
  await pool.closeAll();
  await sshd?.stop();
  await slurm?.stop();
  await queues.close();
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
  rmSync(base, { recursive: true, force: true });
});

const sha = (v: string) => createHash("sha256").update(v).digest("hex");
const launchDirOf = (account: TSshAccount) => join(account.home, "lockstep", "runs");
const workDirOf = (account: TSshAccount) => join(account.home, "lockstep", "work");
const waitFor = (runId: string, done: (run: TRun) => boolean, timeoutMs = 400_000) =>
  waitForRun(db, runId, done, timeoutMs);

async function until<T>(
  what: string,
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await probe();
    if (got) return got;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A workspace whose compute environment is Slurm over SSH as `account`, with its own DB_PASSWORD, host key confirmed the way a person does it. */
async function workspaceOn(account: TSshAccount) {
  const deps = { db, redis: producer, queues, keys };
  // Not an instance admin: an SSH cluster is a workspace's own, not Lockstep's machines.
  const { ws, asOwner, asLauncher } = await workspaceWithLauncher(deps, {
    org: "Cluster",
    slug: "cl",
    workspace: `On ${account.user}`,
    ownerIsInstanceAdmin: false,
  });
  const credential = await asOwner.credentials.create({
    workspaceId: ws.id,
    name: "cluster account",
    provider: "ssh",
    value: {
      plain: JSON.stringify({
        user: account.user,
        privateKey: account.privateKey,
        ...(account.passphrase ? { passphrase: account.passphrase } : {}),
      }),
    },
  });
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: {
      kind: "ssh-slurm",
      name: "Cluster",
      workDir: workDirOf(account),
      nextflowVersion: NEXTFLOW_VERSION,
      config: {
        host: sshd.host,
        port: sshd.port,
        credentialId: credential.id,
        launchDir: launchDirOf(account),
        queue: "debug",
        headOptions: ["--time=30"],
      },
    },
  });
  // First check: the login node's key, for a person to compare and confirm; nothing authenticated yet.
  await asOwner.computeEnvs.check({ workspaceId: ws.id, computeEnvId: ce.id });
  const seen = await until("the host key", async () => (await getComputeEnvById(db, ce.id))?.checkHostKey);
  expect(seen).toBe(sshd.hostKeySha256());
  expect((await getComputeEnvById(db, ce.id))!.checkOk).toBe(false);
  await asOwner.computeEnvs.confirmHostKey({ workspaceId: ws.id, computeEnvId: ce.id, fingerprint: seen });
  await asOwner.computeEnvs.check({ workspaceId: ws.id, computeEnvId: ce.id });
  const checked = await until("the second check", async () => {
    const row = await getComputeEnvById(db, ce.id);
    return row?.checkOk !== null &&
      row?.checkedAt &&
      row.checkMessage !== "Host key confirmed: check the connection again."
      ? row
      : null;
  });
  expect([checked.checkOk, checked.checkMessage]).toEqual([
    true,
    expect.stringContaining(`Slurm partition debug as ${account.user}@127.0.0.1:${sshd.port}`),
  ]);
  const value = `ssh-MARKER-${account.user}-${randomUUID()}`;
  await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: value } });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "tenants", repository: join(pipelinesRoot, "ssh-tenants"), defaultComputeEnvId: ce.id },
  });
  return { ws, ce, value, pipeline, asLauncher, account };
}

const logOf = async (run: TRun) => (await readRunLog(db, run.id, 0, 5000)).map((l) => l.line).join("\n");

describe.runIf(isRoot)("Slurm over SSH, two workspaces as two cluster accounts", () => {
  it(
    "each workspace's run gets its own secret (digest checked in the task); A's task cannot read B's store or work directory, B's can (positive control); every store is deleted",
    { timeout: 900_000 },
    async () => {
      const [a, b] = [await workspaceOn(sshd.accounts[0]!), await workspaceOn(sshd.accounts[1]!)];
      // B's run reads its own store, then holds it while A's run tries to read it.
      const launchedB = await b.asLauncher.runs.launch({
        workspaceId: b.ws.id,
        pipelineId: b.pipeline.id,
        params: { probe: "self", seconds: 150 },
      });
      const heldB = await waitFor(
        launchedB.id,
        (r) => r.status === "RUNNING" && r.provisionedAt !== null && r.runDir !== null,
      );
      const storeB = join(heldB.runDir!, "secrets", "store.json");
      expect(existsSync(storeB)).toBe(true);
      const workB = join(workDirOf(b.account), heldB.id);
      const launchedA = await a.asLauncher.runs.launch({
        workspaceId: a.ws.id,
        pipelineId: a.pipeline.id,
        params: { probe: `${storeB} ${workB} ${launchDirOf(b.account)}` },
      });
      const runA = await waitFor(launchedA.id, settled);
      expect([runA.status, runA.secretsState, runA.exitCode, runA.errorMessage]).toEqual([
        "SUCCEEDED",
        "DELETED",
        0,
        null,
      ]);
      const runB = await waitFor(launchedB.id, settled);
      expect([runB.status, runB.secretsState, runB.exitCode, runB.errorMessage]).toEqual([
        "SUCCEEDED",
        "DELETED",
        0,
        null,
      ]);

      const [logA, logB] = [await logOf(runA), await logOf(runB)];
      expect(logA).toContain(`digest DB_PASSWORD ${sha(a.value)}`);
      expect(logB).toContain(`digest DB_PASSWORD ${sha(b.value)}`);
      // The boundary: another Unix account.
      expect(logA).toContain(`probe-denied ${storeB}`);
      expect(logA).toContain(`probe-denied ${workB}`);
      expect(logA).toContain(`probe-denied ${launchDirOf(b.account)}`);
      // Positive control: the same store, read by the account that owns it, while it existed.
      expect(logB).toContain(`probe-readable ${storeB}`);

      // Stores and sidecars gone; runs lived where their accounts own them.
      for (const run of [runA, runB]) {
        expect(existsSync(join(run.runDir!, "secrets"))).toBe(false);
        expect(run.cleanupTarget).toMatchObject({
          provider: "ssh-file",
          host: sshd.host,
          port: sshd.port,
          hostKeySha256: sshd.hostKeySha256(),
        });
      }
      expect(runA.runDir!.startsWith(launchDirOf(a.account))).toBe(true);
      // No value reached a log line, an error or the worker's own log.
      for (const text of [logA, logB, logLines.join("\n")]) {
        expect(text).not.toContain(a.value);
        expect(text).not.toContain(b.value);
      }
      expect(logLines.join("\n")).not.toContain(sshd.accounts[0]!.privateKey.split("\n")[1]!);
    },
  );

  it(
    "a connection cut while a store is written, and one cut after a run, leave nothing once the sweeper has passed",
    { timeout: 300_000 },
    async () => {
      const account = sshd.accounts[0]!;
      await workspaceOn(account); // the sweeper finds stores through a compute environment using this launch directory
      const endpoint: TSshEndpoint = {
        host: sshd.host,
        port: sshd.port,
        user: account.user,
        privateKey: account.privateKey,
        hostKeySha256: sshd.hostKeySha256(),
      };
      const where = `${account.user}@${sshd.host}:${sshd.port}`;
      // 1. Cut during provisioning: the TCP connection is closed while the store's bytes are on their way.
      const cutting = sshFileProvider({
        launchDir: launchDirOf(account),
        where,
        withFiles: (use) =>
          withRemoteFiles(
            endpoint,
            (files) =>
              use({
                ...files,
                writeExclusive: async (path, content, mode) => {
                  const writing = files.writeExclusive(path, content, mode);
                  setTimeout(() => void pool.drop(endpoint), 5);
                  await writing;
                },
              }),
            pool,
          ),
      });
      const interrupted = randomUUID();
      await expect(
        cutting.provision({ runId: interrupted, workspaceId: "" }, [
          { name: "BIG", value: "x".repeat(4 * 1024 * 1024) },
        ]),
      ).rejects.toMatchObject({ retryable: true });
      expect(existsSync(join(launchDirOf(account), interrupted, "secrets"))).toBe(true);
      // 2. Cut after a run wrote its store (the worker lost the line before cleanup): a whole store left behind.
      const plain = sshFileProvider({
        launchDir: launchDirOf(account),
        where,
        withFiles: (use) => withRemoteFiles(endpoint, use, pool),
      });
      const orphan = randomUUID();
      await plain.provision({ runId: orphan, workspaceId: "" }, [
        { name: "LEFT", value: `orphan-MARKER-${randomUUID()}` },
      ]);
      await pool.drop(endpoint);
      expect(existsSync(join(launchDirOf(account), orphan, "secrets", "store.json"))).toBe(true);

      await enqueue(queues, "runs.sweep", { requestedBy: "test", nonce: randomUUID() });
      await until(
        "the sweeper to remove both leftovers",
        async () =>
          !existsSync(join(launchDirOf(account), interrupted, "secrets")) &&
          !existsSync(join(launchDirOf(account), orphan, "secrets")),
        120_000,
      );
    },
  );

  it(
    "a login node that stops answering is retried, and the compute environment says so while it is",
    { timeout: 240_000 },
    async () => {
      const w = await workspaceOn(sshd.accounts[0]!);
      // The same cluster, moved (as far as Lockstep knows) to a port nobody listens on, its key still the confirmed one.
      const away = await freePort();
      const settings = sshSettingsOf(parseComputeEnv((await getComputeEnvById(db, w.ce.id))!))!;
      await db
        .update(schema.computeEnvs)
        .set({ config: { ...settings, port: away }, checkOk: null, checkMessage: null })
        .where(eq(schema.computeEnvs.id, w.ce.id));
      const launched = await w.asLauncher.runs.launch({
        workspaceId: w.ws.id,
        pipelineId: w.pipeline.id,
        params: { probe: "self" },
      });
      const noted = await until("the environment to say the cluster is away", async () => {
        const ce = await getComputeEnvById(db, w.ce.id);
        return ce?.checkOk === false && ce.checkMessage ? ce.checkMessage : null;
      });
      expect(noted).toMatch(
        new RegExp(
          `^While working on a run: .*the cluster's login node lockstep-ws-a@127\\.0\\.0\\.1:${away} is unreachable \\(ECONNREFUSED\\); will try again`,
        ),
      );
      // Still waiting for the cluster, not failed: the job retries with backoff.
      const run = await waitFor(launched.id, () => true);
      expect(["SUBMITTED", "RUNNING"]).toContain(run.status);
      await w.asLauncher.runs.cancel({ workspaceId: w.ws.id, runId: launched.id });
    },
  );
});
