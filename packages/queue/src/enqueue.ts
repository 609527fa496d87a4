import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { jobCatalog, type TJobName, type TJobPayload, type TQueueName } from "./catalog";

export type TQueues = { get(name: TQueueName): Queue; close(): Promise<void> };

export function createQueues(connection: Redis, prefix: string): TQueues {
  const cache = new Map<TQueueName, Queue>();
  return {
    get(name) {
      let queue = cache.get(name);
      if (!queue) {
        queue = new Queue(name, { connection, prefix });
        cache.set(name, queue);
      }
      return queue;
    },
    async close() {
      await Promise.all([...cache.values()].map((q) => q.close()));
      cache.clear();
    },
  };
}

/**
 * The only producer of jobs: validates the payload, derives the job id, applies the catalog
 * options. `delay` (ms) holds the job back, e.g. a webhook's next attempt.
 */
export async function enqueue<K extends TJobName>(
  queues: TQueues,
  name: K,
  payload: TJobPayload<K>,
  opts: { delay?: number } = {},
) {
  const entry = jobCatalog[name];
  const data = entry.payload.parse(payload);
  const jobId = entry.jobId(data as never);
  return queues
    .get(entry.queue)
    .add(name, data, { ...entry.options, jobId, ...(opts.delay ? { delay: opts.delay } : {}) });
}

/**
 * Like enqueue(), but first removes a finished (completed or failed) job with the same id, so
 * work re-derived from the database runs again even while the old job is still retained.
 * Jobs that are waiting, delayed or active are left alone.
 */
export async function enqueueFresh<K extends TJobName>(queues: TQueues, name: K, payload: TJobPayload<K>) {
  const entry = jobCatalog[name];
  const data = entry.payload.parse(payload);
  const jobId = entry.jobId(data as never);
  const queue = queues.get(entry.queue);
  const existing = await queue.getJob(jobId);
  if (existing) {
    const state = await existing.getState();
    if (state === "completed" || state === "failed") await existing.remove();
    else return existing;
  }
  return queue.add(name, data, { ...entry.options, jobId });
}
