import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, getRun, type TRun } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION, readExitCode } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import { childBaseEnv } from "./env";
import type { TRuntime } from "./runtime";
import { settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

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

beforeAll(async () => {
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  const runtime: TRuntime = {
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

async function setup() {
  const deps = { db, redis: producer, queues, keys };
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
  return { launch };
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
