import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, getRun, listAuditEvents, updateRunIf, type TRun } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION, readExitCode } from "@lockstep/launcher";
import { createQueues, createRedis, jobCatalog, type TQueues } from "@lockstep/queue";
import type { TAuditAction } from "@lockstep/validators";
import { childBaseEnv } from "./env";
import { finishRun } from "./processors/runs/common";
import type { TRuntime } from "./runtime";
import { settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";
import { startWorkers, workerIdentity, type TWorkers } from "./worker";

/**
 * Event-driven finish (issue #15): a local head's end is noticed from the exit code file's
 * appearance, not the monitor's poll. The poll here is set to two minutes, so a run that ends
 * within seconds of its head ended through the watch. And the run directory is hostile: a pipeline
 * that writes the file itself, swaps it for a symlink to a file outside the run, and rewrites it
 * again and again, ends neither its own run early nor its neighbour's.
 */
const root = resolve(import.meta.dirname, "../../..");
const fixtures = join(root, "e2e/fixtures/pipelines");
const POLL_MS = 120_000;
const prefix = `it-exit-${randomUUID().slice(0, 8)}`;
const logger = pino({ level: "warn" });
const workDir = mkdtempSync(join(tmpdir(), "lockstep-exitwatch-runs-"));
chmodSync(workDir, 0o755);
const outside = mkdtempSync(join(tmpdir(), "lockstep-exitwatch-outside-"));
const decoy = join(outside, "exitcode");
writeFileSync(decoy, "0\n");
chmodSync(outside, 0o755);
chmodSync(decoy, 0o644);

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys("exit-watch");
let workers: TWorkers;
let runtime: TRuntime;

beforeAll(async () => {
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  runtime = {
    baseEnv: childBaseEnv(),
    monitorIntervalMs: POLL_MS,
    nextflowLib: async () => libDir,
    localPipelineRoots: [fixtures],
  };
  workers = startWorkers({ db, keys, queues, runtime, connection: redis, prefix, logger, concurrency: 4 });
}, 600_000);

afterAll(async () => {
  await workers?.close();
  await queues.close();
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
  rmSync(workDir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

async function setup(onQueues: TQueues = queues) {
  const deps = { db, redis: producer, queues: onQueues, keys };
  const { ws, asOwner, asLauncher } = await workspaceWithSecrets(deps);
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "fakes-exit", repository: join(fixtures, "fakes-exit"), defaultComputeEnvId: ce.id },
  });
  const launch = (params: Record<string, string | number | boolean>) =>
    asLauncher.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      params,
      secrets: { mode: "selected", names: ["DB_PASSWORD"] },
    });
  return { launch, ws };
}

/** How many audit events of one kind a run has. */
async function auditCount(workspaceId: string, runId: string, action: TAuditAction) {
  return (await listAuditEvents(db, { workspaceId, action, limit: 100 })).filter((e) => e.runId === runId).length;
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 180_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** How long after the head wrote its exit code the run was marked ended and its secrets deleted. */
function latencies(run: TRun) {
  const exited = statSync(join(run.runDir!, "exitcode")).mtimeMs;
  return { finished: run.finishedAt!.getTime() - exited, deleted: run.secretsDeletedAt!.getTime() - exited };
}

describe("a local head's end is noticed from its exit code file", () => {
  it("ends the run and deletes its secrets well before the two-minute poll", { timeout: 300_000 }, async () => {
    const { launch } = await setup();
    const launched = await launch({ seconds: 1 });
    const run = await waitForRun(db, launched.id, settled, 180_000);
    expect([run.status, run.secretsState, run.exitCode]).toEqual(["SUCCEEDED", "DELETED", 0]);
    const took = latencies(run);
    // The only other path to FINISHED is the poll, two minutes after the run's first look.
    expect(took.finished).toBeLessThan(10_000);
    expect(took.deleted).toBeLessThan(10_000);
    expect(workers.exitWatch.wakes.get(run.id)).toBeGreaterThan(0);
  });

  it(
    "a pipeline faking its exit code file (plain, symlinked out of the run, rewritten in a loop) ends no run early",
    { timeout: 300_000 },
    async () => {
      const { launch } = await setup();
      const neighbour = await launch({ seconds: 40 });
      const attacker = await launch({ attack: true, decoy, seconds: 4 });
      const running = async (id: string) => (await getRun(db, id))!.status === "RUNNING";
      await until("both runs running", async () => (await running(neighbour.id)) && (await running(attacker.id)));
      const runDir = (await getRun(db, attacker.id))!.runDir!;
      const neighbourDir = (await getRun(db, neighbour.id))!.runDir!;

      // Phase 1: a plain file saying 0, written as the head script writes it.
      await until("the faked exit code file", () => existsSync(join(runDir, "faked-file")));
      const wakesAtFake = workers.exitWatch.wakes.get(attacker.id) ?? 0;
      // Positive control: the attack reached the watcher, and a watcher trusting the file would read 0 and end the run.
      expect(wakesAtFake).toBeGreaterThan(0);
      expect(await readExitCode(runDir)).toBe(0);
      await new Promise((r) => setTimeout(r, 700));
      expect((await getRun(db, attacker.id))!.status).toBe("RUNNING");

      // Phase 2: a symlink to a file outside the run that says 0.
      await until("the symlinked exit code file", () => existsSync(join(runDir, "faked-link")));
      // Positive control: following the link reads the outsider's 0; the run-file reader refuses it.
      expect(readFileSync(join(runDir, "exitcode"), "utf8").trim()).toBe("0");
      expect(await readExitCode(runDir)).toBeNull();
      await new Promise((r) => setTimeout(r, 700));
      expect((await getRun(db, attacker.id))!.status).toBe("RUNNING");

      // Phase 3: rewritten ten times in a second.
      await until("the rewritten exit code file", () => existsSync(join(runDir, "faked-spam")));
      expect(workers.exitWatch.wakes.get(attacker.id)!).toBeGreaterThan(wakesAtFake);
      await new Promise((r) => setTimeout(r, 700));
      expect((await getRun(db, attacker.id))!.status).toBe("RUNNING");
      // The neighbour was never woken and is still running.
      expect(workers.exitWatch.wakes.get(neighbour.id) ?? 0).toBe(0);
      expect(existsSync(join(neighbourDir, "exitcode"))).toBe(false);
      expect((await getRun(db, neighbour.id))!.status).toBe("RUNNING");

      // The real end still ends the run at once (the fakes did not silence the watch), and the neighbour's too.
      const ended = await waitForRun(db, attacker.id, settled, 120_000);
      expect([ended.status, ended.secretsState, ended.exitCode]).toEqual(["SUCCEEDED", "DELETED", 0]);
      expect(latencies(ended).finished).toBeLessThan(10_000);
      const other = await waitForRun(db, neighbour.id, settled, 120_000);
      expect([other.status, other.secretsState, other.exitCode]).toEqual(["SUCCEEDED", "DELETED", 0]);
      expect(latencies(other).finished).toBeLessThan(10_000);
      // Nothing outside the run was touched.
      expect(readFileSync(decoy, "utf8")).toBe("0\n");
    },
  );
});

describe("the head's exit and its exit code file, both signalled", () => {
  it(
    "a head this worker spawned: both signals arrive, the run ends once, its secrets are deleted once",
    {
      timeout: 300_000,
    },
    async () => {
      const { launch, ws } = await setup();
      const launched = await launch({ seconds: 1 });
      const run = await waitForRun(db, launched.id, settled, 180_000);
      expect([run.status, run.secretsState, run.exitCode]).toEqual(["SUCCEEDED", "DELETED", 0]);
      // The file is renamed into place just before the head exits: the watch got the file and the exit, one each at least.
      expect(workers.exitWatch.exits.get(run.id)).toBe(1);
      expect(workers.exitWatch.wakes.get(run.id)).toBeGreaterThanOrEqual(2);
      // One look found the head gone and moved the monitor job to the front, once.
      expect(workers.exitWatch.promotions.get(run.id)).toBe(1);
      expect(latencies(run).finished).toBeLessThan(10_000);
      expect(await auditCount(ws.id, run.id, "run.finished")).toBe(1);
      expect(await auditCount(ws.id, run.id, "secrets.deleted")).toBe(1);
      expect(await auditCount(ws.id, run.id, "run.redacted")).toBe(1);
      expect(run.redaction).not.toBeNull();
    },
  );

  it(
    "two finishers racing for one ended run (the race forced): one transition, one cleanup",
    {
      timeout: 300_000,
    },
    async () => {
      // A worker of its own queues launches the run and is stopped while the head runs: nobody finishes it.
      const racePrefix = `${prefix}-race`;
      const raceQueues = createQueues(producer, racePrefix);
      const start = () =>
        startWorkers({
          db,
          keys,
          queues: raceQueues,
          runtime,
          connection: redis,
          prefix: racePrefix,
          logger,
          concurrency: 4,
        });
      let raceWorkers = start();
      try {
        const { launch, ws } = await setup(raceQueues);
        const launched = await launch({ seconds: 3 });
        await until("the run running", async () => (await getRun(db, launched.id))!.status === "RUNNING");
        await raceWorkers.close();
        const running = (await getRun(db, launched.id))!;
        const pid = Number(running.executorRef!.split(":")[0]);
        await until(
          "the head's end",
          () => existsSync(join(running.runDir!, "exitcode")) && !existsSync(`/proc/${pid}`),
        );
        expect((await getRun(db, launched.id))!.status).toBe("RUNNING");

        // Both signals' looks found the head gone and both monitor looks finish it, with the same RUNNING snapshot, at once.
        const ctx = { db, keys, queues: raceQueues, runtime, logger, worker: workerIdentity() };
        await Promise.all([
          finishRun(ctx, running, "SUCCEEDED", { exitCode: 0 }),
          finishRun(ctx, running, "SUCCEEDED", { exitCode: 0 }),
        ]);
        const ended = (await getRun(db, launched.id))!;
        expect([ended.status, ended.exitCode]).toEqual(["SUCCEEDED", 0]);
        expect(await auditCount(ws.id, launched.id, "run.finished")).toBe(1);
        const cleanupQueue = raceQueues.get(jobCatalog["runs.cleanup"].queue);
        const queued = (await cleanupQueue.getJobs(["waiting", "prioritized", "delayed", "active"])).filter(
          (j) => (j.data as { runId?: string }).runId === launched.id,
        );
        expect(queued.map((j) => j.id)).toEqual([jobCatalog["runs.cleanup"].jobId({ runId: launched.id })]);

        // A worker started now deletes the copies once.
        raceWorkers = start();
        const done = await waitForRun(db, launched.id, settled, 120_000);
        expect([done.status, done.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
        expect(await auditCount(ws.id, launched.id, "secrets.deleted")).toBe(1);
        expect(await auditCount(ws.id, launched.id, "run.redacted")).toBe(1);
        const store = done.cleanupTarget?.provider === "nextflow-file" ? done.cleanupTarget.secretsDir : null;
        expect(store).not.toBeNull();
        expect(existsSync(join(store!, "store.json"))).toBe(false);
        // A third finisher, late, changes nothing.
        await finishRun(ctx, running, "FAILED", { exitCode: 1 });
        expect((await getRun(db, launched.id))!.status).toBe("SUCCEEDED");
        expect(await auditCount(ws.id, launched.id, "run.finished")).toBe(1);

        // Positive control: the race is real. Without the status condition both racing writers get through
        // (each would record the end, send the webhook and schedule a cleanup).
        const unguarded = await Promise.all([
          updateRunIf(db, launched.id, {}, { status: "SUCCEEDED", finishedAt: new Date() }),
          updateRunIf(db, launched.id, {}, { status: "SUCCEEDED", finishedAt: new Date() }),
        ]);
        expect(unguarded.filter((r) => r !== null)).toHaveLength(2);
      } finally {
        await raceWorkers.close();
        await raceQueues.close();
      }
    },
  );

  it(
    "a head that ended while no worker ran: a new worker finds the run and finishes it once",
    {
      timeout: 300_000,
    },
    async () => {
      const ownPrefix = `${prefix}-restart`;
      const ownQueues = createQueues(producer, ownPrefix);
      // A short poll: the new worker has no exit event for a head it did not spawn, and the file was written before it watched.
      const start = () =>
        startWorkers({
          db,
          keys,
          queues: ownQueues,
          runtime: { ...runtime, monitorIntervalMs: 1_000 },
          connection: redis,
          prefix: ownPrefix,
          logger,
          concurrency: 4,
        });
      let own = start();
      try {
        const { launch, ws } = await setup(ownQueues);
        const launched = await launch({ seconds: 3 });
        await until("the run running", async () => (await getRun(db, launched.id))!.status === "RUNNING");
        await own.close();
        const running = (await getRun(db, launched.id))!;
        const pid = Number(running.executorRef!.split(":")[0]);
        await until(
          "the head's end",
          () => existsSync(join(running.runDir!, "exitcode")) && !existsSync(`/proc/${pid}`),
        );
        expect((await getRun(db, launched.id))!.status).toBe("RUNNING");
        own = start();
        const done = await waitForRun(db, launched.id, settled, 120_000);
        expect([done.status, done.secretsState, done.exitCode]).toEqual(["SUCCEEDED", "DELETED", 0]);
        expect(own.exitWatch.exits.get(launched.id)).toBeUndefined();
        expect(await auditCount(ws.id, launched.id, "run.finished")).toBe(1);
        expect(await auditCount(ws.id, launched.id, "secrets.deleted")).toBe(1);
      } finally {
        await own.close();
        await ownQueues.close();
      }
    },
  );
});
