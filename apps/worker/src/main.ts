import { readFileSync } from "node:fs";
import type { Queue } from "bullmq";
import { collectDefaultMetrics, Registry } from "prom-client";
import { OpeningKeyring, SealingKeyring } from "@lockstep/crypto";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { countSecretsByKey, createDatabase } from "@lockstep/db";
import { createRedis, enqueue, createQueues, jobCatalog } from "@lockstep/queue";
import {
  assertHidden,
  buildNfLockstep,
  installNextflow,
  nextflowLibDir,
  probeSandbox,
  SANDBOX_HELP,
  verifyNextflow,
} from "@lockstep/launcher";
import { childBaseEnv, readKeysFile, workerEnv } from "./env";
import type { TRuntime } from "./runtime";
import { startHealthServer } from "./health-server";
import { createLogger } from "./logger";
import { startWorkers } from "./worker";
import { webhookBlockedPorts } from "./webhooks/ports";

const env = workerEnv();
const logger = createLogger(env.LOG_LEVEL);

// Fail at boot, not at the first job, when the private keyring is unreadable, exposed or malformed.
let openKeys: string;
let fingerprint: FingerprintKey;
try {
  openKeys = readKeysFile(env.LOCKSTEP_OPEN_KEYS_FILE);
} catch (error) {
  logger.fatal({ file: env.LOCKSTEP_OPEN_KEYS_FILE }, error instanceof Error ? error.message : String(error));
  process.exit(1);
}
try {
  fingerprint = FingerprintKey.fromSpec(
    readKeysFile(env.LOCKSTEP_FINGERPRINT_KEY_FILE, "LOCKSTEP_FINGERPRINT_KEY_FILE"),
  );
} catch (error) {
  logger.fatal(
    { file: env.LOCKSTEP_FINGERPRINT_KEY_FILE },
    `LOCKSTEP_FINGERPRINT_KEY_FILE: ${error instanceof Error ? error.message.replace(/^LOCKSTEP_FINGERPRINT_KEY_FILE /, "") : String(error)}`,
  );
  process.exit(1);
}
const keys = {
  opening: await OpeningKeyring.fromSpec(openKeys),
  sealing: await SealingKeyring.fromSpec(env.LOCKSTEP_SEAL_KEYS),
  fingerprint,
};
if (!keys.opening.kids.includes(keys.sealing.active.kid)) {
  logger.fatal(
    { active: keys.sealing.active.kid },
    "LOCKSTEP_OPEN_KEYS_FILE has no private key for the active public key (the first of LOCKSTEP_SEAL_KEYS)",
  );
  process.exit(1);
}
logger.info(
  { keyIds: keys.opening.kids, active: keys.sealing.active.kid, fingerprintKey: fingerprint.kid },
  "keyrings loaded",
);

const { db, close: closeDb } = createDatabase(env.DATABASE_URL, { applicationName: "lockstep-worker" });
const connection = createRedis(env.REDIS_URL, "worker");
connection.on("error", (error) => logger.error({ err: error.message }, "redis connection error"));
const producer = createRedis(env.REDIS_URL, "worker");
producer.on("error", () => {});

const metrics = new Registry();
collectDefaultMetrics({ register: metrics, prefix: "lockstep_worker_" });

const queues = createQueues(producer, env.LOCKSTEP_QUEUE_PREFIX);
// Runs are hostile code: find out at boot whether this machine can sandbox them (as a run uid when root).
const root = process.getuid?.() === 0;
const unsafeUnsandboxed = env.LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS === "positive-control" && env.NODE_ENV === "test";
if (unsafeUnsandboxed)
  logger.error(
    "LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS: local runs start WITHOUT a sandbox (hostile-pipeline tests' positive control only)",
  );
const sandbox = { bwrap: env.LOCKSTEP_BWRAP, readOnly: [] };
let sandboxProblem = await probeSandbox(
  sandbox,
  root ? { uid: env.LOCKSTEP_RUN_UID_BASE + 65_535, gid: env.LOCKSTEP_RUN_UID_BASE + 65_535 } : undefined,
);
const hidden = [
  env.LOCKSTEP_OPEN_KEYS_FILE,
  env.LOCKSTEP_FINGERPRINT_KEY_FILE,
  ...(env.LOCKSTEP_DATA_DIR ? [env.LOCKSTEP_DATA_DIR] : []),
];
try {
  assertHidden(sandbox, hidden);
} catch (error) {
  sandboxProblem = error instanceof Error ? error.message : String(error);
}
if (sandboxProblem)
  logger.error({ problem: sandboxProblem }, `local and Slurm runs will fail until the sandbox works: ${SANDBOX_HELP}`);
else
  logger.info({ runUids: root ? `${env.LOCKSTEP_RUN_UID_BASE}+` : "the worker's own (not root)" }, "run sandbox ready");

const verifiedNextflow = new Map<string, string>();
const runtime: TRuntime = {
  baseEnv: childBaseEnv(),
  monitorIntervalMs: env.MONITOR_INTERVAL_MS,
  java: env.JAVA_CMD,
  isolation: {
    sandbox,
    root,
    runUidBase: env.LOCKSTEP_RUN_UID_BASE,
    slurmRunUser: env.LOCKSTEP_SLURM_RUN_USER,
    problem: sandboxProblem,
    unsafeUnsandboxed,
    hidden,
  },
  localPipelineRoots: env.LOCKSTEP_LOCAL_PIPELINE_ROOTS,
  webhooks: {
    retryBaseMs: env.LOCKSTEP_WEBHOOK_RETRY_BASE_MS,
    timeoutMs: env.LOCKSTEP_WEBHOOK_TIMEOUT_MS,
    blockedPorts: webhookBlockedPorts(env),
  },
  async nextflowLib(version) {
    // Verified once per process (hashing ~40 MB of jars on every launch would stall the worker).
    const known = verifiedNextflow.get(version);
    if (known) return known;
    const libDir = nextflowLibDir(env.LOCKSTEP_NEXTFLOW_CACHE, version);
    if (verifyNextflow(libDir, version) !== null)
      installNextflow(env.LOCKSTEP_NEXTFLOW_CACHE, version, (line) => logger.info(line));
    verifiedNextflow.set(version, libDir);
    return libDir;
  },
  async nfLockstepJar(version) {
    // Compiled once per source digest and Nextflow release into the Nextflow cache (needs a JDK: javac, jar).
    const built = buildNfLockstep(await runtime.nextflowLib(version), env.LOCKSTEP_NEXTFLOW_CACHE, version);
    return readFileSync(built.jar);
  },
};
const workers = startWorkers({
  db,
  keys,
  queues,
  runtime,
  connection,
  prefix: env.LOCKSTEP_QUEUE_PREFIX,
  logger,
  concurrency: env.WORKER_CONCURRENCY,
  metrics,
});
const health = await startHealthServer({
  host: env.WORKER_HOST,
  port: env.WORKER_PORT,
  db,
  redis: connection,
  workers,
  metrics,
  logger,
});
logger.info(
  { workerId: workers.identity.workerId, health: `http://${env.WORKER_HOST}:${env.WORKER_PORT}/health` },
  "worker started",
);

// A repeatable health check keeps the heartbeat fresh; one now proves the path at boot.
const systemQueue: Queue = queues.get(jobCatalog["system.health-check"].queue);
await systemQueue.upsertJobScheduler(
  "system.health-check",
  { every: env.HEALTH_CHECK_INTERVAL_MS },
  {
    name: "system.health-check",
    data: { requestedBy: "scheduler", nonce: "scheduled" },
    opts: jobCatalog["system.health-check"].options,
  },
);
await enqueue(queues, "system.health-check", {
  requestedBy: "worker",
  nonce: workers.identity.workerId.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 64),
});

// Rotation: values still sealed under an older key are re-sealed in the background.
const stale = (await countSecretsByKey(db)).filter((k) => k.keyId !== keys.sealing.active.kid);
if (stale.length > 0) {
  logger.info({ byKey: stale }, "secrets sealed under older keys found; scheduling a re-seal");
  await enqueue(queues, "secrets.reseal", { activeKeyId: keys.sealing.active.kid, requestedBy: "worker" });
}

// The sweeper re-derives pending work from Postgres and deletes leftovers, now and periodically.
await systemQueue.upsertJobScheduler(
  "runs.sweep",
  { every: env.SWEEP_INTERVAL_MS },
  {
    name: "runs.sweep",
    data: { requestedBy: "scheduler", nonce: "scheduled" },
    opts: jobCatalog["runs.sweep"].options,
  },
);
await enqueue(queues, "runs.sweep", {
  requestedBy: "worker",
  nonce: workers.identity.workerId.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 64),
});

// Webhooks: the outbox drain delivers every pending event, now (a restart loses nothing) and periodically.
await queues.get(jobCatalog["webhooks.drain"].queue).upsertJobScheduler(
  "webhooks.drain",
  { every: env.LOCKSTEP_WEBHOOK_DRAIN_INTERVAL_MS },
  {
    name: "webhooks.drain",
    data: { requestedBy: "scheduler", nonce: "scheduled" },
    opts: jobCatalog["webhooks.drain"].options,
  },
);
await enqueue(queues, "webhooks.drain", {
  requestedBy: "worker",
  nonce: workers.identity.workerId.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 64),
});

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, "worker stopping: finishing active jobs");
  const force = setTimeout(() => {
    logger.error("worker did not stop within 20 s; exiting");
    process.exit(1);
  }, 20_000);
  force.unref();
  await new Promise<void>((resolve) => health.close(() => resolve()));
  await workers.close();
  await queues.close();
  await Promise.all([connection.quit().catch(() => {}), producer.quit().catch(() => {})]);
  await closeDb();
  logger.info("worker stopped");
  process.exit(0);
}
process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
