import { randomUUID } from "node:crypto";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { Registry } from "prom-client";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, insertRun, updateRunIf } from "@lockstep/db";
import { freePort } from "@lockstep/devstack";
import { installNextflow, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis, enqueue, queueNames } from "@lockstep/queue";
import { childBaseEnv } from "./env";
import { startHealthServer } from "./health-server";
import type { TRuntime } from "./runtime";
import { settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/**
 * The worker's /metrics after a real run (issue #15, docs/metrics.md): queue depth and failed jobs
 * per queue, the three run-phase histograms, runs in CLEANUP_FAILED and the sweeper's leftovers —
 * scraped over HTTP from the health server as Prometheus scrapes it. No secret value in it.
 */
const root = resolve(import.meta.dirname, "../../..");
const fixtures = join(root, "e2e/fixtures/pipelines");
const prefix = `it-metrics-${randomUUID().slice(0, 8)}`;
const workDir = mkdtempSync(join(tmpdir(), "lockstep-metrics-runs-"));
chmodSync(workDir, 0o755);
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys("metrics");
const registry = new Registry();
let workers: TWorkers;
let server: Server;
let url: string;

beforeAll(async () => {
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  const runtime: TRuntime = {
    baseEnv: childBaseEnv(),
    monitorIntervalMs: 2_000,
    nextflowLib: async () => libDir,
    localPipelineRoots: [fixtures],
  };
  const logger = pino({ level: "warn" });
  workers = startWorkers({
    db,
    keys,
    queues,
    runtime,
    connection: redis,
    prefix,
    logger,
    concurrency: 4,
    metrics: registry,
  });
  const port = await freePort();
  server = await startHealthServer({ host: "127.0.0.1", port, db, redis, workers, metrics: registry, logger });
  url = `http://127.0.0.1:${port}/metrics`;
}, 600_000);

afterAll(async () => {
  await new Promise((r) => server?.close(r));
  await workers?.close();
  await queues.close();
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
  rmSync(workDir, { recursive: true, force: true });
});

async function scrape(): Promise<string> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  return res.text();
}

/** The value of one sample line, e.g. `lockstep_queue_depth{queue="runs"}`. */
function sample(text: string, series: string): number | null {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : null;
}

describe("the worker's /metrics", () => {
  it(
    "after a real local run: phase histograms, queue gauges, CLEANUP_FAILED and sweeper gauges, and no secret value",
    { timeout: 300_000 },
    async () => {
      const { ws, asOwner, asLauncher, values } = await workspaceWithSecrets({ db, redis: producer, queues, keys });
      const ce = await asOwner.computeEnvs.create({
        workspaceId: ws.id,
        computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
      });
      const pipeline = await asOwner.pipelines.create({
        workspaceId: ws.id,
        pipeline: { name: "fakes-exit", repository: join(fixtures, "fakes-exit"), defaultComputeEnvId: ce.id },
      });

      const before = await scrape();
      // Before any run: the histograms exist and are empty for local runs.
      expect(sample(before, 'lockstep_run_submitted_to_provisioned_seconds_count{kind="local"}')).toBeNull();
      const failedBefore = sample(before, "lockstep_runs_cleanup_failed")!;
      expect(failedBefore).toBeGreaterThanOrEqual(0);

      const launched = await asLauncher.runs.launch({
        workspaceId: ws.id,
        pipelineId: pipeline.id,
        params: { seconds: 1 },
        secrets: { mode: "selected", names: ["DB_PASSWORD"] },
      });
      const run = await waitForRun(db, launched.id, settled, 180_000);
      expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);

      // A run whose secrets could not be deleted, as the cleanup leaves one.
      const stuck = await insertRun(db, {
        workspaceId: ws.id,
        computeEnvId: ce.id,
        pipelineName: "stuck",
        repository: "/nowhere",
        computeEnvName: ce.name,
        computeEnvKind: "local",
        deadlineAt: new Date(),
      });
      await updateRunIf(db, stuck.id, {}, { status: "FAILED", secretsState: "CLEANUP_FAILED", finishedAt: new Date() });

      // A sweeper pass (the test's sweep finds nothing left: the run's copies are gone).
      await enqueue(queues, "runs.sweep", { requestedBy: "test", nonce: randomUUID() });
      const deadline = Date.now() + 60_000;
      let text = await scrape();
      while (
        sample(text, "lockstep_sweeper_last_pass_timestamp_seconds") === 0 ||
        sample(text, "lockstep_sweeper_last_pass_timestamp_seconds") === null
      ) {
        if (Date.now() > deadline) throw new Error("no sweeper pass");
        await new Promise((r) => setTimeout(r, 200));
        text = await scrape();
      }

      for (const phase of ["submitted_to_provisioned", "provisioned_to_running", "finished_to_deleted"]) {
        expect(sample(text, `lockstep_run_${phase}_seconds_count{kind="local"}`), phase).toBeGreaterThanOrEqual(1);
        const sum = sample(text, `lockstep_run_${phase}_seconds_sum{kind="local"}`)!;
        expect(sum, phase).toBeGreaterThan(0);
        expect(sum, phase).toBeLessThan(600);
      }
      for (const queue of queueNames) {
        expect(sample(text, `lockstep_queue_depth{queue="${queue}"}`), queue).toBeGreaterThanOrEqual(0);
        expect(sample(text, `lockstep_queue_failed_jobs{queue="${queue}"}`), queue).toBeGreaterThanOrEqual(0);
        expect(sample(text, `lockstep_queue_jobs{queue="${queue}",state="completed"}`), queue).toBeGreaterThanOrEqual(
          0,
        );
      }
      expect(
        queueNames.some((q) => (sample(text, `lockstep_queue_jobs{queue="${q}",state="completed"}`) ?? 0) > 0),
      ).toBe(true);
      expect(sample(text, "lockstep_runs_cleanup_failed")).toBeGreaterThanOrEqual(failedBefore + 1);
      expect(sample(text, 'lockstep_runs_secrets_unsettled{state="CLEANUP_FAILED"}')).toBe(
        sample(text, "lockstep_runs_cleanup_failed"),
      );
      expect(sample(text, "lockstep_sweeper_leftovers_last_pass")).toBe(0);
      expect(sample(text, "lockstep_sweeper_unreachable_stores")).toBeGreaterThanOrEqual(0);
      expect(text).toContain("lockstep_sweeper_leftovers_deleted_total");
      for (const value of Object.values(values)) expect(text).not.toContain(value);
      expect(text).not.toContain(run.id);
    },
  );
});
