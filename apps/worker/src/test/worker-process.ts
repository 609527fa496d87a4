/**
 * A worker process for the scale-out suite (scale-out.integration.test.ts): startWorkers with the
 * suite's queue prefix and moto endpoint, as its own process so the suite can SIGKILL it mid-run.
 * Reads its settings from LOCKSTEP_TEST_WORKER (JSON) and its private keys from the file it names.
 */
import { readFileSync } from "node:fs";
import { pino } from "pino";
import { OpeningKeyring, SealingKeyring } from "@lockstep/crypto";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { createDatabase } from "@lockstep/db";
import { createQueues, createRedis } from "@lockstep/queue";
import { startWorkers } from "../worker";

const cfg = JSON.parse(process.env.LOCKSTEP_TEST_WORKER ?? "{}") as {
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  sealKeys: string;
  openKeysFile: string;
  fingerprintKeyFile: string;
  awsEndpoint: string;
  monitorIntervalMs: number;
  concurrency: number;
};
const keys = {
  sealing: await SealingKeyring.fromSpec(cfg.sealKeys),
  opening: await OpeningKeyring.fromSpec(readFileSync(cfg.openKeysFile, "utf8").trim()),
  fingerprint: FingerprintKey.fromSpec(readFileSync(cfg.fingerprintKeyFile, "utf8")),
};
const { db } = createDatabase(cfg.databaseUrl, { max: 4 });
const connection = createRedis(cfg.redisUrl, "worker");
const queues = createQueues(createRedis(cfg.redisUrl, "worker"), cfg.prefix);
const logger = pino({ level: "info" });
const workers = startWorkers({
  db,
  keys,
  queues,
  connection,
  prefix: cfg.prefix,
  logger,
  concurrency: cfg.concurrency,
  runtime: {
    baseEnv: {},
    monitorIntervalMs: cfg.monitorIntervalMs,
    nextflowLib: () => Promise.reject(new Error("a cloud run must not start Nextflow on the worker")),
    cloud: { awsEndpoint: cfg.awsEndpoint, awsRetryBaseDelayMs: 20 },
  },
});
await Promise.all(workers.workers.map((w) => w.waitUntilReady()));
logger.info({ workerId: workers.identity.workerId }, "test worker ready");
process.on("SIGTERM", () => void workers.close().then(() => process.exit(0)));
