import { randomUUID } from "node:crypto";
import { QueueEvents } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, heartbeatOf } from "@lockstep/db";
import { createQueues, createRedis, enqueue, jobCatalog } from "@lockstep/queue";
import { startWorkers, type TWorkers } from "./worker";

// Real Redis and Postgres from the integration global setup; a unique queue prefix per run.
const prefix = `it-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });

describe("worker consumes jobs from real Redis and records in real Postgres", () => {
  const { db, close } = createDatabase(inject("databaseUrl"), { max: 2 });
  const connection = createRedis(inject("redisUrl"), "worker");
  const producer = createRedis(inject("redisUrl"), "worker");
  const queues = createQueues(producer, prefix);
  let workers: TWorkers;
  let events: QueueEvents;

  beforeAll(async () => {
    workers = startWorkers({ db, connection, prefix, logger, concurrency: 2 });
    events = new QueueEvents(jobCatalog["system.health-check"].queue, { connection: createRedis(inject("redisUrl"), "worker"), prefix });
    await events.waitUntilReady();
    await Promise.all(workers.workers.map((w) => w.waitUntilReady()));
  });

  afterAll(async () => {
    await workers.close();
    await events.close();
    await queues.close();
    await Promise.all([connection.quit(), producer.quit()]);
    await close();
  });

  it("runs a health-check job end to end and writes the heartbeat", async () => {
    const job = await enqueue(queues, "system.health-check", { requestedBy: "test", nonce: randomUUID() });
    await job.waitUntilFinished(events, 15_000);
    const row = await heartbeatOf(db, workers.identity.workerId);
    expect(row?.lastHealthCheckJobId).toBe(job.id);
    expect(row?.lastHealthCheckAt).toBeInstanceOf(Date);
  });

  it("enqueues the same work once, whatever the number of calls", async () => {
    const nonce = randomUUID();
    const first = await enqueue(queues, "system.health-check", { requestedBy: "test", nonce });
    const second = await enqueue(queues, "system.health-check", { requestedBy: "test", nonce });
    expect(second.id).toBe(first.id);
    await first.waitUntilFinished(events, 15_000);
    const counts = await queues.get("system").getJobCounts("completed", "waiting", "active");
    const completedIds = (await queues.get("system").getJobs(["completed"])).map((j) => j.id);
    expect(completedIds.filter((id) => id === first.id)).toHaveLength(1);
    expect((counts.waiting ?? 0) + (counts.active ?? 0)).toBe(0);
  });

  it("fails a malformed payload permanently without logging its contents", async () => {
    const marker = `MARKER-${randomUUID()}`;
    // Bypass enqueue() (which validates) to simulate a payload written by something else.
    const job = await queues.get("system").add("system.health-check", { requestedBy: "test", nonce: "n", value: marker }, { attempts: 5 });
    await expect(job.waitUntilFinished(events, 15_000)).rejects.toThrow(/invalid payload for system.health-check/);
    const failed = await queues.get("system").getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1); // UnrecoverableError: no retries
    expect(failed?.failedReason).not.toContain(marker);
    expect(logLines.join("\n")).not.toContain(marker);
  });
});
