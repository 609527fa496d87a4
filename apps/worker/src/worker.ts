import { hostname } from "node:os";
import { randomUUID } from "node:crypto";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { Counter, Histogram, type Registry } from "prom-client";
import { ZodError } from "zod";
import type { TDatabase } from "@lockstep/db";
import { jobCatalog, queueNames, type TJobName, type TQueues } from "@lockstep/queue";
import { sshPool } from "@lockstep/launcher";
import { createExitWatch, type TExitWatch } from "./exit-watch";
import { createWorkerMetrics } from "./metrics";
import type { TRuntime } from "./runtime";
import { registry } from "./processors/registry";
import type { TKeys, TProcessorContext, TWorkerIdentity } from "./processors/types";

export type TWorkers = {
  identity: TWorkerIdentity;
  workers: Worker[];
  exitWatch: TExitWatch;
  close: () => Promise<void>;
};

export function workerIdentity(): TWorkerIdentity {
  return {
    workerId: `${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`,
    hostname: hostname(),
    pid: process.pid,
    version: "0.1.0",
    startedAt: new Date(),
  };
}

function isJobName(name: string): name is TJobName {
  return Object.hasOwn(jobCatalog, name);
}

export function startWorkers(opts: {
  db: TDatabase;
  keys: TKeys;
  queues: TQueues;
  runtime: TRuntime;
  connection: Redis;
  prefix: string;
  logger: Logger;
  concurrency: number;
  metrics?: Registry;
  identity?: TWorkerIdentity;
}): TWorkers {
  const identity = opts.identity ?? workerIdentity();
  const exitWatch = createExitWatch({
    queues: opts.queues,
    logger: opts.logger,
    monitorIntervalMs: opts.runtime.monitorIntervalMs,
  });
  const ctx: TProcessorContext = {
    db: opts.db,
    keys: opts.keys,
    queues: opts.queues,
    runtime: opts.runtime,
    logger: opts.logger,
    worker: identity,
    exitWatch,
    metrics: createWorkerMetrics(opts.metrics, { db: opts.db, queues: opts.queues }),
  };
  const completed = new Counter({
    name: "lockstep_jobs_total",
    help: "Jobs processed, by name and outcome",
    labelNames: ["job", "outcome"],
    registers: opts.metrics ? [opts.metrics] : [],
  });
  const duration = new Histogram({
    name: "lockstep_job_duration_seconds",
    help: "Job processing time",
    labelNames: ["job"],
    registers: opts.metrics ? [opts.metrics] : [],
  });

  const process = async (job: Job, token?: string) => {
    if (!isJobName(job.name)) throw new UnrecoverableError(`unknown job name ${job.name}`);
    const name = job.name;
    const end = duration.startTimer({ job: name });
    try {
      let payload: unknown;
      try {
        payload = jobCatalog[name].payload.parse(job.data);
      } catch (error) {
        // Never log the payload itself: report only which fields failed.
        const fields =
          error instanceof ZodError ? error.issues.map((i) => i.path.join(".") || "(root)").join(", ") : "";
        throw new UnrecoverableError(`invalid payload for ${name}: ${fields}`);
      }
      const handler = registry[name] as (p: unknown, j: Job, c: TProcessorContext, t?: string) => Promise<unknown>;
      return await handler(payload, job, ctx, token);
    } finally {
      end();
    }
  };

  const workers = queueNames.map((queue) => {
    const worker = new Worker(queue, process, {
      connection: opts.connection,
      prefix: opts.prefix,
      concurrency: opts.concurrency,
    });
    worker.on("completed", (job) => {
      completed.inc({ job: job.name, outcome: "completed" });
      opts.logger.info({ queue, job: job.name, jobId: job.id }, "job completed");
    });
    worker.on("failed", (job, error) => {
      if (error.name === "DelayedError") return;
      completed.inc({ job: job?.name ?? "unknown", outcome: "failed" });
      opts.logger.warn(
        { queue, job: job?.name, jobId: job?.id, attempt: job?.attemptsMade, err: error.message },
        "job failed",
      );
    });
    worker.on("error", (error) => opts.logger.error({ queue, err: error.message }, "worker error"));
    return worker;
  });

  return {
    identity,
    workers,
    exitWatch,
    close: async () => {
      exitWatch.close();
      await Promise.all(workers.map((w) => w.close()));
      // SSH connections to clusters' login nodes (pooled across jobs).
      await (opts.runtime.sshPool ?? sshPool).closeAll();
    },
  };
}
