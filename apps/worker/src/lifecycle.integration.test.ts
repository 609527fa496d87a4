import { createHash, randomUUID } from "node:crypto";
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { createDatabase, eq, listAuditEvents, readRunLog, schema, type TRun } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import { freePort, startSlurm, type TStartedSlurm } from "@lockstep/devstack";
import { spawn, type ChildProcess } from "node:child_process";
import { childBaseEnv } from "./env";
import type { TRuntime } from "./runtime";
import { apiCaller, settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/** Dates leave the API as ISO 8601 strings. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * The whole run lifecycle against real components: the API launches, the worker provisions the
 * Nextflow secrets file, a real Nextflow (resolved from Maven Central) runs the fixture pipeline
 * on the local executor, and the secrets are deleted whatever the outcome.
 */
const root = resolve(import.meta.dirname, "../../..");
const fixtures = join(root, "e2e/fixtures/pipelines");
const prefix = `it-life-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const workDir = mkdtempSync(join(tmpdir(), "lockstep-runs-"));
chmodSync(workDir, 0o755);

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys("life");
const cache = join(homedir(), ".cache/lockstep/nextflow");
let workers: TWorkers;
let slurm: TStartedSlurm;

beforeAll(async () => {
  const libDir = installNextflow(cache, NEXTFLOW_VERSION);
  slurm = await startSlurm(mkdtempSync(join(tmpdir(), "lockstep-slurm-")));
  const runtime: TRuntime = {
    baseEnv: { ...childBaseEnv(), SLURM_CONF: slurm.conf },
    monitorIntervalMs: 500,
    nextflowLib: async () => libDir,
    localPipelineRoots: [fixtures],
  };
  workers = startWorkers({ db, keys, queues, runtime, connection: redis, prefix, logger, concurrency: 4 });
}, 600_000);

afterAll(async () => {
  await workers?.close();
  await slurm?.stop();
  await queues.close();
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
  rmSync(workDir, { recursive: true, force: true });
});

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

async function setup() {
  // The environments and pipelines are set up by an instance admin; runs are launched by a launch-role user.
  const { ws, asOwner, asLauncher, launcherId, values } = await workspaceWithSecrets(
    { db, redis: producer, queues, keys },
    { org: "Life", slug: "life", workspace: "Runs" },
  );
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const slurmEnv = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: {
      kind: "slurm",
      name: "Slurm",
      workDir,
      nextflowVersion: NEXTFLOW_VERSION,
      config: { partition: "debug", sbatchOptions: ["--time=10"] },
    },
  });
  const pipeline = async (name: string, params: Record<string, string | number> = {}) =>
    asOwner.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name, repository: join(fixtures, name), defaultComputeEnvId: ce.id, defaultParams: params },
    });
  return { ws, asOwner, asLauncher, launcherId, values, pipeline, slurmEnv };
}

/** Ends a run's head whatever happened (its sandbox: the bwrap process group and the namespace's init). */
async function killHead(run: TRun) {
  const pid = Number(run.executorRef!.split(":")[0]);
  try {
    for (const child of readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim().split(/\s+/).filter(Boolean))
      process.kill(Number(child), "SIGKILL");
  } catch {
    /* gone */
  }
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    /* gone */
  }
}

const waitFor = (runId: string, done: (run: TRun) => boolean, timeoutMs = 180_000) =>
  waitForRun(db, runId, done, timeoutMs);

function secretFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name === "store.json" || /^\.nf-.*\.secrets$/.test(entry.name)) found.push(path);
    }
  };
  if (existsSync(dir)) walk(dir);
  return found;
}

describe("run lifecycle with real Nextflow (local executor)", () => {
  it(
    "succeeds with the workspace DB_PASSWORD and the launcher's API_TOKEN, then deletes every copy",
    { timeout: 240_000 },
    async () => {
      const { ws, asOwner, asLauncher, values, pipeline } = await setup();
      // A personal secret whose name only the launcher may ever read.
      const personalName = `PERSONAL_${randomUUID().replace(/-/g, "").slice(0, 12).toUpperCase()}`;
      await asLauncher.userSecrets.create({ name: personalName, value: { plain: `personal-MARKER-${randomUUID()}` } });
      const p = await pipeline("secrets-hash");
      // The pipeline does not need the personal secret: it goes along only when named.
      const launched = await asLauncher.runs.launch({
        workspaceId: ws.id,
        pipelineId: p.id,
        secrets: { mode: "selected", names: ["DB_PASSWORD", "API_TOKEN", personalName] },
      });
      const run = await waitFor(launched.id, settled);
      expect([run.status, run.secretsState, run.exitCode, run.errorMessage]).toEqual(["SUCCEEDED", "DELETED", 0, null]);
      const results = join(run.runDir!, "results");
      expect(readFileSync(join(results, "db_password.sha256"), "utf8").trim()).toBe(sha(values.db));
      expect(readFileSync(join(results, "api_token.sha256"), "utf8").trim()).toBe(sha(values.userToken)); // the user's wins
      expect(existsSync(join(run.runDir!, "secrets"))).toBe(false);
      expect(secretFilesUnder(run.runDir!)).toEqual([]);
      expect(run.provisionedAt!.getTime()).toBeLessThanOrEqual(run.startedAt!.getTime());
      console.log(
        `[timings] launch→running ${run.startedAt!.getTime() - run.submittedAt.getTime()} ms, ` +
          `running→finished ${run.finishedAt!.getTime() - run.startedAt!.getTime()} ms, ` +
          `finished→secrets deleted ${run.secretsDeletedAt!.getTime() - run.finishedAt!.getTime()} ms`,
      );
      expect(run.secretsDeletedAt!.getTime()).toBeGreaterThanOrEqual(run.finishedAt!.getTime());
      const actions = (await listAuditEvents(db, { workspaceId: ws.id, limit: 50 })).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          "run.launched",
          "secrets.provisioned",
          "run.started",
          "run.finished",
          "secrets.deleted",
        ]),
      );
      const log = (await readRunLog(db, run.id, 0, 5000)).map((l) => l.line).join("\n");
      expect(log).toContain("HASH_DB_PASSWORD");
      const everything =
        log + logLines.join("\n") + JSON.stringify(await listAuditEvents(db, { workspaceId: ws.id, limit: 50 }));
      for (const v of Object.values(values)) expect(everything).not.toContain(v);
      // The secrets' "last used" is recorded.
      const listed = await asLauncher.secrets.list({ workspaceId: ws.id });
      expect(listed.find((s) => s.name === "DB_PASSWORD")?.lastUsedAt).toMatch(ISO);

      // The personal secret's name: the launcher reads it (positive control); the workspace owner, in
      // the run, the run list and Activity, reads "2 personal secrets of Launcher"; the events the
      // worker stored do not hold it at all.
      expect(
        (await asLauncher.runs.get({ workspaceId: ws.id, runId: run.id })).secretNames.map((s) => s.name),
      ).toContain(personalName);
      const stored = await listAuditEvents(db, { workspaceId: ws.id, limit: 50 });
      const provisioned = stored.find((e) => e.action === "secrets.provisioned" && e.runId === run.id)!;
      expect(provisioned.detail).toMatchObject({
        names: ["DB_PASSWORD (workspace)"],
        personalSecrets: 2,
        personalSecretsOf: "Launcher",
      });
      // The deletion receipt: the one copy written (the store file), when, and verified gone by listing after deletion.
      const receipt = await asOwner.runs.receipt({ workspaceId: ws.id, runId: run.id });
      const secretsDir = run.cleanupTarget?.provider === "nextflow-file" ? run.cleanupTarget.secretsDir : "?";
      expect(receipt).toMatchObject({
        secretsState: "DELETED",
        provider: "nextflow-file",
        store: secretsDir,
        copies: [{ location: join(secretsDir, "store.json"), verifiedBy: "list-after-delete" }],
        deletion: { verified: true, method: expect.stringMatching(/^list-after-delete/) },
        personalSecretCount: 2,
      });
      expect(receipt.secrets).toEqual([{ name: "DB_PASSWORD", source: "workspace" }]);
      expect(receipt.sidecars).toContain(".nf-*.secrets");
      expect(new Date(receipt.copies[0]!.writtenAt).getTime()).toBeLessThanOrEqual(run.provisionedAt!.getTime());
      expect(new Date(receipt.copies[0]!.goneAt!).getTime()).toBeGreaterThanOrEqual(run.finishedAt!.getTime());
      expect(receipt.deletion.at).toBe(receipt.copies[0]!.goneAt);
      expect(
        (await asLauncher.runs.receipt({ workspaceId: ws.id, runId: run.id })).secrets.map((s) => s.name),
      ).toContain(personalName);
      const ownerReads = JSON.stringify([
        receipt,
        await asOwner.runs.get({ workspaceId: ws.id, runId: run.id }),
        await asOwner.runs.list({ workspaceId: ws.id }),
        await asOwner.audit.list({ workspaceId: ws.id, limit: 500 }),
        stored,
      ]);
      expect(ownerReads).toContain('"personalSecretCount":2');
      expect(ownerReads).not.toContain(personalName);
    },
  );

  it("masks a secret value the pipeline prints before the log reaches the database", { timeout: 240_000 }, async () => {
    const { ws, asLauncher, values, pipeline } = await setup();
    const p = await pipeline("leaky");
    const run = await waitFor((await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: p.id })).id, settled);
    expect(run.status).toBe("SUCCEEDED");
    // The raw console file received the value (the pipeline leaked it), and the end-of-run pass
    // overwrote it there (counted on the run)…
    expect(run.redaction?.occurrences).toBeGreaterThanOrEqual(1);
    const raw = readFileSync(join(run.runDir!, "console.log"), "utf8");
    expect(raw).toMatch(/connecting with password \*{10,} now/);
    expect(raw).not.toContain(values.db);
    // …and the stored log, which the web reads, has it masked.
    const log = (await asLauncher.runs.logs({ workspaceId: ws.id, runId: run.id })).lines.map((l) => l.line);
    expect(log).toContain("connecting with password *** now");
    expect(log.join("\n")).not.toContain(values.db);
  });

  it("a failing pipeline ends FAILED with its secrets deleted", { timeout: 240_000 }, async () => {
    const { ws, asLauncher, pipeline } = await setup();
    const p = await pipeline("fails");
    const run = await waitFor((await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: p.id })).id, settled);
    expect([run.status, run.secretsState]).toEqual(["FAILED", "DELETED"]);
    expect(run.exitCode).not.toBe(0);
    expect(secretFilesUnder(run.runDir!)).toEqual([]);
  });

  it(
    "a cancelled run ends CANCELLED with its secrets deleted and its tasks stopped",
    { timeout: 240_000 },
    async () => {
      const { ws, asLauncher, pipeline } = await setup();
      const p = await pipeline("sleeps", { seconds: 600 });
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: p.id });
      // The task has started once Nextflow wrote its secrets sidecar next to the store.
      await waitFor(
        launched.id,
        (r) =>
          r.status === "RUNNING" && secretFilesUnder(join(r.runDir!, "secrets")).some((f) => f.endsWith(".secrets")),
        120_000,
      );
      await asLauncher.runs.cancel({ workspaceId: ws.id, runId: launched.id });
      const run = await waitFor(launched.id, settled, 60_000);
      expect([run.status, run.secretsState]).toEqual(["CANCELLED", "DELETED"]);
      expect(secretFilesUnder(run.runDir!)).toEqual([]);
      const pid = Number(run.executorRef!.split(":")[0]);
      expect(existsSync(`/proc/${pid}`)).toBe(false);
      // No process of this run survives: nothing runs with its working directory inside the run.
      const survivors = readdirSync("/proc")
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return readlinkSync(`/proc/${p}/cwd`).startsWith(run.runDir!);
          } catch {
            return false;
          }
        });
      expect(survivors).toEqual([]);
    },
  );
});

describe("run lifecycle with real Nextflow on a real single-node Slurm", () => {
  it(
    "the head job runs through sbatch, the right values arrive, and every copy is deleted",
    { timeout: 240_000 },
    async () => {
      const { ws, asLauncher, values, pipeline, slurmEnv } = await setup();
      const p = await pipeline("secrets-hash");
      const launched = await asLauncher.runs.launch({
        workspaceId: ws.id,
        pipelineId: p.id,
        computeEnvId: slurmEnv.id,
      });
      const run = await waitFor(launched.id, settled);
      expect([run.status, run.secretsState, run.exitCode]).toEqual(["SUCCEEDED", "DELETED", 0]);
      expect(run.executorRef).toMatch(/^\d+$/); // a Slurm job id
      expect(existsSync(join(run.runDir!, `slurm-${run.executorRef}.out`))).toBe(true);
      expect(readFileSync(join(run.runDir!, "results", "db_password.sha256"), "utf8").trim()).toBe(sha(values.db));
      expect(readFileSync(join(run.runDir!, "results", "api_token.sha256"), "utf8").trim()).toBe(sha(values.userToken));
      expect(secretFilesUnder(run.runDir!)).toEqual([]);
    },
  );

  it(
    "a cancelled Slurm run is scancelled, ends CANCELLED and its secrets are deleted",
    { timeout: 240_000 },
    async () => {
      const { ws, asLauncher, pipeline, slurmEnv } = await setup();
      const p = await pipeline("sleeps", { seconds: 600 });
      const launched = await asLauncher.runs.launch({
        workspaceId: ws.id,
        pipelineId: p.id,
        computeEnvId: slurmEnv.id,
      });
      await waitFor(
        launched.id,
        (r) =>
          r.status === "RUNNING" && secretFilesUnder(join(r.runDir!, "secrets")).some((f) => f.endsWith(".secrets")),
        120_000,
      );
      await asLauncher.runs.cancel({ workspaceId: ws.id, runId: launched.id });
      const run = await waitFor(launched.id, settled, 60_000);
      expect([run.status, run.secretsState]).toEqual(["CANCELLED", "DELETED"]);
      expect(secretFilesUnder(run.runDir!)).toEqual([]);
    },
  );
});

describe("a worker killed with SIGKILL mid-run", () => {
  it("a restarted worker finishes the run and deletes its secrets", { timeout: 300_000 }, async () => {
    const { ws, launcherId, pipeline } = await setup();
    const p = await pipeline("sleeps", { seconds: 8 });
    // A worker process of its own, on its own queue prefix, so it can be killed.
    const ownPrefix = `it-kill-${randomUUID().slice(0, 8)}`;
    const ownQueues = createQueues(producer, ownPrefix);
    const keysFile = join(mkdtempSync(join(tmpdir(), "lockstep-keys-")), "open-keys");
    writeFileSync(keysFile, keys.openKeys, { mode: 0o600 });
    const fingerprintFile = join(dirname(keysFile), "fingerprint-key");
    writeFileSync(fingerprintFile, FingerprintKey.generateSpec("life-kill"), { mode: 0o600 });
    const spawnWorker = async (): Promise<ChildProcess> => {
      const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: join(root, "apps/worker"),
        env: {
          ...childBaseEnv(),
          DATABASE_URL: inject("databaseUrl"),
          REDIS_URL: inject("redisUrl"),
          LOCKSTEP_QUEUE_PREFIX: ownPrefix,
          LOCKSTEP_SEAL_KEYS: keys.sealKeys,
          LOCKSTEP_OPEN_KEYS_FILE: keysFile,
          LOCKSTEP_FINGERPRINT_KEY_FILE: fingerprintFile,
          WORKER_PORT: String(await freePort()),
          MONITOR_INTERVAL_MS: "500",
          SWEEP_INTERVAL_MS: "2000",
          LOCKSTEP_LOCAL_PIPELINE_ROOTS: fixtures,
          LOG_LEVEL: "warn",
        },
        stdio: "ignore",
      });
      return child;
    };
    let worker = await spawnWorker();
    const launched = await apiCaller({ db, redis: producer, queues: ownQueues, keys }, launcherId).runs.launch({
      workspaceId: ws.id,
      pipelineId: p.id,
    });
    await waitFor(launched.id, (r) => r.status === "RUNNING", 120_000);
    worker.kill("SIGKILL");
    await new Promise((r) => worker.once("exit", r));
    // The head process outlives the worker; a new worker picks the run up from Postgres.
    worker = await spawnWorker();
    try {
      const run = await waitFor(launched.id, settled, 180_000);
      expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
      expect(secretFilesUnder(run.runDir!)).toEqual([]);
    } finally {
      worker.kill("SIGTERM");
      await ownQueues.close();
    }
  });
});

describe("the sweeper and permanent cleanup failures", () => {
  it(
    "re-derives a launch whose job Redis lost, and deletes stores of finished or unknown runs",
    { timeout: 240_000 },
    async () => {
      const { ws, launcherId, pipeline, values } = await setup();
      const p = await pipeline("secrets-hash");
      // Launch through queues nobody consumes: as if Redis had lost the provision job.
      const lostQueues = createQueues(producer, `it-lost-${randomUUID().slice(0, 8)}`);
      const launched = await apiCaller({ db, redis: producer, queues: lostQueues, keys }, launcherId).runs.launch({
        workspaceId: ws.id,
        pipelineId: p.id,
      });
      await lostQueues.close();
      // Leftovers: a store for a run the database does not know.
      const orphan = randomUUID();
      const { nextflowFileProvider } = await import("@lockstep/secrets");
      await nextflowFileProvider({ runsDir: workDir }).provision({ runId: orphan, workspaceId: ws.id }, [
        { name: "ORPHAN", value: values.db },
      ]);
      expect(existsSync(join(workDir, orphan, "secrets", "store.json"))).toBe(true);

      const { enqueue } = await import("@lockstep/queue");
      await enqueue(queues, "runs.sweep", { requestedBy: "test", nonce: randomUUID() });
      const run = await waitFor(launched.id, settled);
      expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
      expect(existsSync(join(workDir, orphan, "secrets"))).toBe(false);
      const swept = await listAuditEvents(db, { action: "secrets.deleted", limit: 100 });
      expect(swept.some((e) => e.targetId === orphan && e.detail.via === "sweeper")).toBe(true);
    },
  );

  it(
    "a run past its maximum run time ends FAILED with one reason, whether the monitor or the sweeper stops it",
    { timeout: 180_000 },
    async () => {
      const { ws, launcherId, asLauncher, pipeline } = await setup();
      const p = await pipeline("sleeps", { seconds: 600 });
      const pastDeadline = (runId: string) =>
        db
          .update(schema.runs)
          .set({ deadlineAt: new Date(Date.now() - 1_000) })
          .where(eq(schema.runs.id, runId));
      // The monitor: a running run whose deadline passes.
      const running = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: p.id });
      await waitFor(running.id, (r) => r.status === "RUNNING");
      await pastDeadline(running.id);
      const byMonitor = await waitFor(running.id, settled, 60_000);
      // The sweeper: a run whose jobs Redis lost, found past its deadline before it ever started.
      const lostQueues = createQueues(producer, `it-lost-${randomUUID().slice(0, 8)}`);
      const lost = await apiCaller({ db, redis: producer, queues: lostQueues, keys }, launcherId).runs.launch({
        workspaceId: ws.id,
        pipelineId: p.id,
      });
      await lostQueues.close();
      await pastDeadline(lost.id);
      const { enqueue } = await import("@lockstep/queue");
      await enqueue(queues, "runs.sweep", { requestedBy: "test", nonce: randomUUID() });
      const bySweeper = await waitFor(lost.id, settled, 60_000);
      for (const run of [byMonitor, bySweeper]) {
        expect([run.status, run.errorMessage]).toEqual([
          "FAILED",
          "stopped: it ran past its compute environment's maximum run time",
        ]);
        expect(run.secretsState).toMatch(/^(DELETED|NONE)$/);
      }
      expect(bySweeper.startedAt).toBeNull(); // stopped, not started by the sweep that found it
    },
  );

  it(
    "a compute environment deleted under a live run does not strand its secrets: cleanup uses the store recorded at provision",
    { timeout: 120_000 },
    async () => {
      const { ws, asOwner, asLauncher, pipeline } = await setup();
      const p = await pipeline("sleeps", { seconds: 600 });
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: p.id });
      const running = await waitFor(launched.id, (r) => r.status === "RUNNING" && r.secretsState === "PROVISIONED");
      expect(running.cleanupTarget).toMatchObject({
        provider: "nextflow-file",
        runsDir: workDir,
        secretsDir: join(running.runDir!, "secrets"),
      });
      try {
        await expect(
          asOwner.computeEnvs.delete({ workspaceId: ws.id, computeEnvId: p.defaultComputeEnvId! }),
        ).rejects.toThrow(/^computeEnvId: 1 run uses/);
        // Behind the API's back, as an operator with psql could.
        await db.delete(schema.computeEnvs).where(eq(schema.computeEnvs.id, p.defaultComputeEnvId!));
        const run = await waitFor(launched.id, (r) => r.status === "LOST" && r.secretsState === "DELETED");
        expect(secretFilesUnder(run.runDir!)).toEqual([]);
        const deleted = await listAuditEvents(db, { workspaceId: ws.id, action: "secrets.deleted", limit: 10 });
        expect(deleted.find((e) => e.targetId === run.id)?.detail).toMatchObject({
          verified: true,
          location: join(run.runDir!, "secrets"),
        });
      } finally {
        await killHead(running);
      }
    },
  );

  it(
    "changing the work directory under a live run is refused; behind the API's back, cleanup still deletes the store where it was written",
    { timeout: 120_000 },
    async () => {
      const { ws, asOwner, asLauncher, pipeline } = await setup();
      const p = await pipeline("sleeps", { seconds: 600 });
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: p.id });
      const running = await waitFor(
        launched.id,
        (r) => r.status === "RUNNING" && secretFilesUnder(join(r.runDir!, "secrets")).length > 0,
      );
      const elsewhere = mkdtempSync(join(tmpdir(), "lockstep-elsewhere-"));
      chmodSync(elsewhere, 0o711);
      try {
        const ce = await asOwner.computeEnvs.get({ workspaceId: ws.id, computeEnvId: p.defaultComputeEnvId! });
        await expect(
          asOwner.computeEnvs.update({
            workspaceId: ws.id,
            computeEnvId: ce.id,
            computeEnv: { kind: "local", name: ce.name, workDir: elsewhere, nextflowVersion: NEXTFLOW_VERSION },
          }),
        ).rejects.toThrow(new RegExp(`^computeEnv.workDir: run ${running.id} uses this compute environment`));
        // Other fields stay editable while it runs.
        await asOwner.computeEnvs.update({
          workspaceId: ws.id,
          computeEnvId: ce.id,
          computeEnv: { kind: "local", name: `${ce.name} (renamed)`, workDir, nextflowVersion: NEXTFLOW_VERSION },
        });
        await db.update(schema.computeEnvs).set({ workDir: elsewhere }).where(eq(schema.computeEnvs.id, ce.id));
        await asLauncher.runs.cancel({ workspaceId: ws.id, runId: running.id });
        const run = await waitFor(launched.id, settled, 60_000);
        expect([run.status, run.secretsState]).toEqual(["CANCELLED", "DELETED"]);
        expect(secretFilesUnder(running.runDir!)).toEqual([]);
      } finally {
        await killHead(running);
        rmSync(elsewhere, { recursive: true, force: true });
      }
    },
  );

  it(
    "a cleanup that cannot succeed ends CLEANUP_FAILED with an audit event, and never says deleted",
    { timeout: 120_000 },
    async () => {
      const { ws, asLauncher, pipeline } = await setup();
      const p = await pipeline("sleeps", { seconds: 600 });
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: p.id });
      const running = await waitFor(launched.id, (r) => r.status === "RUNNING" && r.secretsState === "PROVISIONED");
      try {
        // A recorded store that cannot be reached (here: a record no provider accepts).
        await db
          .update(schema.runs)
          .set({
            cleanupTarget: { ...running.cleanupTarget!, runsDir: "relative/runs" } as typeof running.cleanupTarget,
          })
          .where(eq(schema.runs.id, running.id));
        await asLauncher.runs.cancel({ workspaceId: ws.id, runId: running.id });
        const run = await waitFor(
          launched.id,
          (r) => r.status === "CANCELLED" && r.secretsState === "CLEANUP_FAILED",
          60_000,
        );
        expect(run.lastCleanupError).toMatch(/runsDir must be an absolute path/);
        const failed = await listAuditEvents(db, { workspaceId: ws.id, action: "secrets.cleanup_failed", limit: 10 });
        expect(failed.map((e) => e.targetId)).toContain(run.id);
        const deleted = await listAuditEvents(db, { workspaceId: ws.id, action: "secrets.deleted", limit: 10 });
        expect(deleted.map((e) => e.targetId)).not.toContain(run.id);
        // The sweeper does not retry a permanent failure on its own: it stays visible until someone acts.
        expect(existsSync(join(run.runDir!, "secrets", "store.json"))).toBe(true);
      } finally {
        await killHead(running);
        rmSync(join(running.runDir!, "secrets"), { recursive: true, force: true });
      }
    },
  );
});
