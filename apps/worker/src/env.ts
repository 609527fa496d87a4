import { closeSync, constants, fstatSync, openSync, readFileSync } from "node:fs";
import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { ZLocalPipelineRoots } from "@lockstep/validators";
import { dbEnv } from "@lockstep/db/env";
import { queueEnv } from "@lockstep/queue/env";

export const workerEnv = () =>
  createEnv({
    // DATABASE_URL, REDIS_URL and the queue prefix: declared once, by their packages.
    extends: [dbEnv(), queueEnv()],
    server: {
      // The private keyring comes from a file only the worker's uid can read, never from the
      // environment (readable through /proc by any process of the same uid): docs/security.md.
      LOCKSTEP_OPEN_KEYS_FILE: z
        .string()
        .regex(
          /^\//,
          "LOCKSTEP_OPEN_KEYS_FILE must be the absolute path of a file (mode 0600 or 0400) holding the worker's private keys (kid:base64url,…)",
        ),
      LOCKSTEP_OPEN_KEYS: z
        .undefined({
          message:
            "LOCKSTEP_OPEN_KEYS is no longer read from the environment: put the private keys in a file only the worker can read and set LOCKSTEP_OPEN_KEYS_FILE",
        })
        .optional(),
      // The key of the keyed fingerprints (HMAC-SHA256) that tell whether two runs received the same
      // value; a file only the worker's uid can read, like the private keyring. The web never holds it.
      LOCKSTEP_FINGERPRINT_KEY_FILE: z
        .string()
        .regex(
          /^\//,
          "LOCKSTEP_FINGERPRINT_KEY_FILE must be the absolute path of a file (mode 0600 or 0400) holding the worker's fingerprint key (kid:base64url of 32 random bytes)",
        ),
      LOCKSTEP_SEAL_KEYS: z
        .string()
        .min(1, "LOCKSTEP_SEAL_KEYS must list the public keys, active first (kid:base64url,…)"),
      WORKER_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
      WORKER_HOST: z.string().default("127.0.0.1"),
      WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
      HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
      LOCKSTEP_NEXTFLOW_CACHE: z
        .string()
        .regex(/^\//, "LOCKSTEP_NEXTFLOW_CACHE must be an absolute path")
        .default(`${process.env.HOME ?? "/tmp"}/.cache/lockstep/nextflow`),
      JAVA_CMD: z.string().default("java"),
      /** Directories local-path pipelines may live in (colon-separated absolute paths); unset refuses every local path. */
      LOCKSTEP_LOCAL_PIPELINE_ROOTS: ZLocalPipelineRoots,
      MONITOR_INTERVAL_MS: z.coerce.number().int().min(200).max(60_000).default(2_000),
      /** Webhooks: first retry after this long, doubling per attempt; each attempt's timeout; how often the outbox is drained. */
      LOCKSTEP_WEBHOOK_RETRY_BASE_MS: z.coerce.number().int().min(100).default(60_000),
      LOCKSTEP_WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(500).max(60_000).default(10_000),
      LOCKSTEP_WEBHOOK_DRAIN_INTERVAL_MS: z.coerce.number().int().min(500).default(15_000),
      SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
      LOCKSTEP_BWRAP: z.string().default("bwrap"),
      LOCKSTEP_RUN_UID_BASE: z.coerce
        .number()
        .int()
        .min(100_000, "LOCKSTEP_RUN_UID_BASE must be at least 100000 (far from real accounts)")
        .max(4_000_000_000, "LOCKSTEP_RUN_UID_BASE must leave room for 65536 uids below 2^32")
        .default(1_900_000_000),
      LOCKSTEP_SLURM_RUN_USER: z
        .string()
        .regex(/^[a-z_][a-z0-9_-]{0,31}$/, "LOCKSTEP_SLURM_RUN_USER must be a Unix user name")
        .default("lockstep-run"),
      LOCKSTEP_DATA_DIR: z.string().optional(),
      LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS: z.literal("positive-control").optional(),
      NODE_ENV: z.string().optional(),
      LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
    },
    runtimeEnv: process.env,
    emptyStringAsUndefined: true,
  });

export type TWorkerEnv = ReturnType<typeof workerEnv>;

/** The environment head processes start from: the worker's own minus Lockstep's configuration. */
export function childBaseEnv(): Record<string, string> {
  // Also no Seqera Platform token: it would make Nextflow load the nf-tower plugin.
  const drop =
    /^(DATABASE_URL|REDIS_URL|LOCKSTEP_.*|NEXTAUTH_.*|OIDC_.*|WORKER_.*|TOWER_ACCESS_TOKEN|NXF_PLUGINS_TEST_REPOSITORY)$/;
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !drop.test(e[0])),
  );
}

/**
 * The private keyring, read from a file that only the worker's uid may read: a file anyone else
 * can read (or one that is a link, or not a file) is refused rather than trusted.
 */
export function readKeysFile(path: string, variable = "LOCKSTEP_OPEN_KEYS_FILE"): string {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new Error(
      `${variable} ${path} cannot be opened (${code === "ELOOP" ? "it is a symbolic link" : (code ?? "error")})`,
    );
  }
  try {
    const info = fstatSync(fd);
    if (!info.isFile()) throw new Error(`${variable} ${path} is not a regular file`);
    if ((info.mode & 0o077) !== 0)
      throw new Error(
        `${variable} ${path} is readable by others (mode ${(info.mode & 0o777).toString(8)}): chmod 600 it`,
      );
    if (info.uid !== process.getuid?.())
      throw new Error(`${variable} ${path} belongs to uid ${info.uid}, not to the worker's uid ${process.getuid?.()}`);
    const text = readFileSync(fd, "utf8").trim();
    if (!text) throw new Error(`${variable} ${path} is empty`);
    return text;
  } finally {
    closeSync(fd);
  }
}
