import { z } from "zod";
import type { JobsOptions } from "bullmq";

/**
 * The one catalog of background jobs. Payloads carry ids only — never a secret value, ciphertext
 * or credential — and are parsed again by the worker before use. Job ids are derived from the
 * payload, so enqueueing the same work twice is a no-op.
 */
export const ZUuid = z.uuid();

const defaults = {
  removeOnComplete: { age: 24 * 3600, count: 1000 },
  removeOnFail: { age: 7 * 24 * 3600, count: 5000 },
} satisfies JobsOptions;

export const jobCatalog = {
  "system.health-check": {
    queue: "system",
    payload: z.strictObject({ requestedBy: z.enum(["web", "worker", "scheduler", "test"]), nonce: z.string().regex(/^[A-Za-z0-9-]{1,64}$/) }),
    jobId: (p: { nonce: string }) => `health-check-${p.nonce}`,
    options: { ...defaults, attempts: 1, removeOnComplete: { age: 3600, count: 100 } } satisfies JobsOptions,
  },
  /** Re-seals every stored value not sealed under the active key (key rotation). */
  "secrets.reseal": {
    queue: "system",
    payload: z.strictObject({ activeKeyId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/), requestedBy: z.enum(["worker", "operator", "test"]) }),
    jobId: (p: { activeKeyId: string }) => `reseal-${p.activeKeyId}`,
    options: { ...defaults, attempts: 12, backoff: { type: "exponential", delay: 5_000 } } satisfies JobsOptions,
  },
} as const;

export type TJobName = keyof typeof jobCatalog;
export type TJobPayload<K extends TJobName> = z.infer<(typeof jobCatalog)[K]["payload"]>;
export type TQueueName = (typeof jobCatalog)[TJobName]["queue"];

export const queueNames = [...new Set(Object.values(jobCatalog).map((j) => j.queue))] as TQueueName[];

export function parsePayload<K extends TJobName>(name: K, data: unknown): TJobPayload<K> {
  return jobCatalog[name].payload.parse(data) as TJobPayload<K>;
}
