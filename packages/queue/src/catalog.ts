import { z } from "zod";
import type { JobsOptions } from "bullmq";
import { ZId } from "@lockstep/validators";

/**
 * The one catalog of background jobs. Payloads carry ids only — never a secret value, ciphertext
 * or credential — and are parsed again by the worker before use. Job ids are derived from the
 * payload, so enqueueing the same work twice is a no-op.
 */
const ZRunPayload = z.strictObject({ runId: ZId });

const defaults = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} satisfies JobsOptions;

export const jobCatalog = {
  "system.health-check": {
    queue: "system",
    payload: z.strictObject({
      requestedBy: z.enum(["web", "worker", "scheduler", "test"]),
      nonce: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    }),
    jobId: (p: { nonce: string }) => `health-check-${p.nonce}`,
    options: { ...defaults, attempts: 1, removeOnComplete: { age: 3600, count: 100 } } satisfies JobsOptions,
  },
  /** Re-seals every stored value not sealed under the active key (key rotation). */
  "secrets.reseal": {
    queue: "system",
    payload: z.strictObject({
      activeKeyId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
      requestedBy: z.enum(["worker", "operator", "test"]),
    }),
    jobId: (p: { activeKeyId: string }) => `reseal-${p.activeKeyId}`,
    options: { ...defaults, attempts: 12, backoff: { type: "exponential", delay: 5_000 } } satisfies JobsOptions,
  },
  /**
   * Opens a value sealed by a client (create, overwrite, import) and records which value rule it
   * breaks, if any, so its author learns at write time instead of at launch. One job per write:
   * the id carries the write's time, so an overwrite is checked even while an older check runs.
   */
  "secrets.validate": {
    queue: "system",
    payload: z.strictObject({ secretId: ZId, writtenAt: z.iso.datetime() }),
    jobId: (p: { secretId: string; writtenAt: string }) => `validate-${p.secretId}-${Date.parse(p.writtenAt)}`,
    options: {
      ...defaults,
      attempts: 5,
      backoff: { type: "exponential", delay: 2_000 },
      removeOnComplete: { age: 24 * 3600, count: 5000 },
    } satisfies JobsOptions,
  },
  /**
   * Asks the pinned Nextflow what a local pipeline's config says of secrets (`nextflow config`, in
   * the worker's sandbox: config files are code). One job per pipeline and source fingerprint.
   */
  "pipelines.inspect": {
    queue: "system",
    payload: z.strictObject({ pipelineId: ZId, fingerprint: z.string().regex(/^sha256:[0-9a-f]{64}$/) }),
    jobId: (p: { pipelineId: string; fingerprint: string }) => `inspect-${p.pipelineId}-${p.fingerprint.slice(7, 23)}`,
    options: { ...defaults, attempts: 3, backoff: { type: "exponential", delay: 5_000 } } satisfies JobsOptions,
  },
  // ── Run lifecycle (DESIGN.md §4). One job id per run and step: enqueueing twice is a no-op. ──
  "runs.provision": {
    queue: "runs",
    payload: ZRunPayload,
    jobId: (p: { runId: string }) => `provision-${p.runId}`,
    options: { ...defaults, attempts: 8, backoff: { type: "exponential", delay: 2_000 } } satisfies JobsOptions,
  },
  "runs.launch": {
    queue: "runs",
    payload: ZRunPayload,
    jobId: (p: { runId: string }) => `launch-${p.runId}`,
    options: { ...defaults, attempts: 5, backoff: { type: "exponential", delay: 2_000 } } satisfies JobsOptions,
  },
  /** Re-checks a running run every few seconds (the job delays itself) until it ends. */
  "runs.monitor": {
    queue: "runs",
    payload: ZRunPayload,
    jobId: (p: { runId: string }) => `monitor-${p.runId}`,
    options: { ...defaults, attempts: 20, backoff: { type: "exponential", delay: 2_000 } } satisfies JobsOptions,
  },
  "runs.cancel": {
    queue: "runs",
    payload: ZRunPayload,
    jobId: (p: { runId: string }) => `cancel-${p.runId}`,
    options: { ...defaults, attempts: 5, backoff: { type: "exponential", delay: 1_000 } } satisfies JobsOptions,
  },
  /** Deletes every pushed copy of a run's secrets; its own queue so it never waits behind launches. */
  "runs.cleanup": {
    queue: "cleanup",
    payload: ZRunPayload,
    jobId: (p: { runId: string }) => `cleanup-${p.runId}`,
    // 14 attempts from 1 s doubling: retried for about 4.5 hours before CLEANUP_FAILED.
    options: { ...defaults, attempts: 14, backoff: { type: "exponential", delay: 1_000 } } satisfies JobsOptions,
  },
  /** Repeatable: re-derives pending work from Postgres and deletes leftovers (see the sweeper). */
  "runs.sweep": {
    queue: "system",
    payload: z.strictObject({
      requestedBy: z.enum(["scheduler", "worker", "test"]),
      nonce: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    }),
    jobId: (p: { nonce: string }) => `sweep-${p.nonce}`,
    options: { ...defaults, attempts: 1, removeOnComplete: { age: 3600, count: 50 } } satisfies JobsOptions,
  },
  /**
   * "Check connection" for a cloud compute environment: only the worker can open its credentials.
   * One job per request (the id carries the request time), so each click runs a fresh check.
   */
  "computeEnvs.check": {
    queue: "system",
    payload: z.strictObject({ computeEnvId: ZId, requestedAt: z.iso.datetime() }),
    jobId: (p: { computeEnvId: string; requestedAt: string }) =>
      `compute-env-check-${p.computeEnvId}-${Date.parse(p.requestedAt)}`,
    // A failed check is recorded as a result; attempts only cover the worker dying mid-check.
    options: {
      ...defaults,
      attempts: 2,
      backoff: { type: "fixed", delay: 2_000 },
      removeOnComplete: { age: 3600, count: 200 },
    } satisfies JobsOptions,
  },
  // ── Webhooks (docs/webhooks.md). Postgres holds every pending delivery; these jobs only carry them out. ──
  /**
   * One HTTP attempt of one delivery. The attempt number is in the id, so the retry the worker
   * schedules and the drain's re-derivation of the same attempt are one job. BullMQ's own retries
   * only cover a worker dying mid-attempt; a refused delivery is retried as the next attempt.
   */
  "webhooks.deliver": {
    queue: "webhooks",
    payload: z.strictObject({ deliveryId: ZId, attempt: z.number().int().min(1).max(50) }),
    jobId: (p: { deliveryId: string; attempt: number }) => `webhook-${p.deliveryId}-${p.attempt}`,
    options: {
      ...defaults,
      attempts: 2,
      backoff: { type: "fixed", delay: 5_000 },
      removeOnComplete: { age: 3600, count: 2000 },
    } satisfies JobsOptions,
  },
  /** Repeatable: enqueues every pending delivery that is due (the outbox drain). */
  "webhooks.drain": {
    queue: "webhooks",
    payload: z.strictObject({
      requestedBy: z.enum(["scheduler", "worker", "test"]),
      nonce: z.string().regex(/^[A-Za-z0-9-]{1,64}$/),
    }),
    jobId: (p: { nonce: string }) => `webhook-drain-${p.nonce}`,
    options: { ...defaults, attempts: 1, removeOnComplete: { age: 600, count: 50 } } satisfies JobsOptions,
  },
} as const;

export type TJobName = keyof typeof jobCatalog;
export type TJobPayload<K extends TJobName> = z.infer<(typeof jobCatalog)[K]["payload"]>;
export type TQueueName = (typeof jobCatalog)[TJobName]["queue"];

export const queueNames = [...new Set(Object.values(jobCatalog).map((j) => j.queue))] as TQueueName[];

export function parsePayload<K extends TJobName>(name: K, data: unknown): TJobPayload<K> {
  return jobCatalog[name].payload.parse(data) as TJobPayload<K>;
}
