import { randomUUID } from "node:crypto";
import { QueueEvents } from "bullmq";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createDatabase,
  createUserWithPersonalWorkspace,
  eq,
  heartbeatOf,
  insertSecret,
  listAuditEvents,
  recordHealthCheck,
  schema,
  sealedSecretsOf,
} from "@lockstep/db";
import { createQueues, createRedis, enqueue, jobCatalog } from "@lockstep/queue";
import { makeTestKeys, rotatedTestKeys } from "@lockstep/vitest-config/fixtures";
import { startWorkers, type TWorkers } from "./worker";

// Real Redis and Postgres from the integration global setup; a unique queue prefix per run.
const prefix = `it-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });

// Two generations of keys: "old" sealed the stored values, "new" is active after a rotation.
const [oldKeys, newKeys] = await Promise.all([makeTestKeys(`old-${prefix}`), makeTestKeys(`new-${prefix}`)]);
const oldSealing = oldKeys.sealing;
const keys = await rotatedTestKeys(newKeys, oldKeys);

describe("worker consumes jobs from real Redis and records in real Postgres", () => {
  const { db, close } = createDatabase(inject("databaseUrl"), { max: 2 });
  const connection = createRedis(inject("redisUrl"), "worker");
  const producer = createRedis(inject("redisUrl"), "worker");
  const queues = createQueues(producer, prefix);
  let workers: TWorkers;
  let events: QueueEvents;

  beforeAll(async () => {
    const runtime = {
      baseEnv: {},
      monitorIntervalMs: 1000,
      nextflowLib: () => Promise.reject(new Error("no runs in this test")),
    };
    workers = startWorkers({ db, keys, queues, runtime, connection, prefix, logger, concurrency: 2 });
    events = new QueueEvents(jobCatalog["system.health-check"].queue, {
      connection: createRedis(inject("redisUrl"), "worker"),
      prefix,
    });
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

  it("prunes heartbeats of workers gone for over a week, and keeps the recent ones", async () => {
    const gone = {
      workerId: `gone-${randomUUID()}`,
      hostname: "old-host",
      pid: 1,
      version: "0",
      startedAt: new Date(0),
    };
    const recent = {
      workerId: `recent-${randomUUID()}`,
      hostname: "other-host",
      pid: 2,
      version: "0",
      startedAt: new Date(),
    };
    await recordHealthCheck(db, gone, "old-job");
    await recordHealthCheck(db, recent, "recent-job");
    await db
      .update(schema.workerHeartbeats)
      .set({ lastSeenAt: new Date(Date.now() - 8 * 24 * 3_600_000) })
      .where(eq(schema.workerHeartbeats.workerId, gone.workerId));
    const job = await enqueue(queues, "system.health-check", { requestedBy: "test", nonce: randomUUID() });
    await job.waitUntilFinished(events, 15_000);
    expect(await heartbeatOf(db, gone.workerId)).toBeNull();
    expect(await heartbeatOf(db, recent.workerId)).not.toBeNull(); // positive control: only the old one goes
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
    const job = await queues
      .get("system")
      .add("system.health-check", { requestedBy: "test", nonce: "n", value: marker }, { attempts: 5 });
    await expect(job.waitUntilFinished(events, 15_000)).rejects.toThrow(/invalid payload for system.health-check/);
    const failed = await queues.get("system").getJob(job.id!);
    expect(failed?.attemptsMade).toBe(1); // UnrecoverableError: no retries
    expect(failed?.failedReason).not.toContain(marker);
    expect(logLines.join("\n")).not.toContain(marker);
  });

  it("re-seals every value under the active key after a rotation, values unchanged", async () => {
    const user = (await createUserWithPersonalWorkspace(db, {
      email: `rot-${randomUUID()}@example.test`,
      name: "Rot",
      passwordHash: null,
    }))!;
    const owner = { scope: "user" as const, userId: user.id };
    const markers = Array.from({ length: 3 }, () => `MARKER-${randomUUID()}`);
    for (const [i, marker] of markers.entries()) {
      const name = `ROTATE_${i}`;
      const sealed = await oldSealing.seal(marker, { scope: "user", ownerId: user.id, name });
      await insertSecret(db, owner, { name, sealed, keyId: oldKeys.kid, actorId: user.id });
    }
    const job = await enqueue(queues, "secrets.reseal", { activeKeyId: newKeys.kid, requestedBy: "test" });
    const result = (await job.waitUntilFinished(events, 30_000)) as { resealed: number; remaining: number };
    expect(result.resealed).toBeGreaterThanOrEqual(3);
    const rows = await sealedSecretsOf(db, owner);
    expect(rows.map((r) => r.keyId)).toEqual([newKeys.kid, newKeys.kid, newKeys.kid]);
    for (const row of rows) {
      expect(row.sealed.split(".")[1]).toBe(newKeys.kid);
      const value = await keys.opening.open(row.sealed, { scope: "user", ownerId: user.id, name: row.name });
      expect(value).toBe(markers[Number(row.name.slice(-1))]);
    }
    const [audit] = await listAuditEvents(db, { action: "secrets.resealed", limit: 1 });
    expect(audit?.targetName).toBe(newKeys.kid);
    const logs = logLines.join("\n");
    for (const marker of markers) expect(logs).not.toContain(marker);
  });
});
