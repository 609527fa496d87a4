import type { Job } from "bullmq";
import type { Logger } from "pino";
import type { OpeningKeyring, SealingKeyring } from "@lockstep/crypto";
import type { FingerprintKey } from "@lockstep/crypto/fingerprint";
import type { TDatabase } from "@lockstep/db";
import type { TJobName, TJobPayload, TQueues } from "@lockstep/queue";
import type { TExitWatch } from "../exit-watch";
import type { TWorkerMetrics } from "../metrics";
import type { TRuntime } from "../runtime";

export type TWorkerIdentity = {
  workerId: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: Date;
};

/** `fingerprint`: the HMAC key of the keyed fingerprints runs record (the worker alone holds it). */
export type TKeys = { opening: OpeningKeyring; sealing: SealingKeyring; fingerprint: FingerprintKey };

export type TProcessorContext = {
  db: TDatabase;
  keys: TKeys;
  queues: TQueues;
  runtime: TRuntime;
  logger: Logger;
  worker: TWorkerIdentity;
  /** Event-driven finish for heads on this machine (absent: the poll alone). */
  exitWatch?: TExitWatch;
  /** Run-phase histograms and sweeper gauges (docs/metrics.md). */
  metrics?: TWorkerMetrics;
};

export type THandler<K extends TJobName> = (
  payload: TJobPayload<K>,
  job: Job,
  ctx: TProcessorContext,
  token?: string,
) => Promise<unknown>;

/** Every job in the catalog has exactly one handler; a missing one does not compile. */
export type TRegistry = { [K in TJobName]: THandler<K> };
