import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { ZLocalPipelineRoots } from "@lockstep/validators";

export const workerEnv = () =>
  createEnv({
    server: {
      DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://"),
      REDIS_URL: z.string().regex(/^rediss?:\/\//, "REDIS_URL must start with redis:// or rediss://"),
      LOCKSTEP_QUEUE_PREFIX: z.string().regex(/^[a-z0-9:_-]+$/).default("lockstep"),
      LOCKSTEP_OPEN_KEYS: z.string().min(1, "LOCKSTEP_OPEN_KEYS must list the worker's private keys (kid:base64url,…)"),
      LOCKSTEP_SEAL_KEYS: z.string().min(1, "LOCKSTEP_SEAL_KEYS must list the public keys, active first (kid:base64url,…)"),
      WORKER_PORT: z.coerce.number().int().min(1).max(65535).default(3001),
      WORKER_HOST: z.string().default("127.0.0.1"),
      WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(4),
      HEALTH_CHECK_INTERVAL_MS: z.coerce.number().int().min(1000).default(30_000),
      LOCKSTEP_NEXTFLOW_CACHE: z.string().regex(/^\//, "LOCKSTEP_NEXTFLOW_CACHE must be an absolute path").default(`${process.env.HOME ?? "/tmp"}/.cache/lockstep/nextflow`),
      JAVA_CMD: z.string().default("java"),
      /** Directories local-path pipelines may live in (colon-separated absolute paths); unset refuses every local path. */
      LOCKSTEP_LOCAL_PIPELINE_ROOTS: ZLocalPipelineRoots,
      MONITOR_INTERVAL_MS: z.coerce.number().int().min(200).max(60_000).default(2_000),
      SWEEP_INTERVAL_MS: z.coerce.number().int().min(1_000).default(30_000),
      LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace"]).default("info"),
    },
    runtimeEnv: process.env,
    emptyStringAsUndefined: true,
  });

export type TWorkerEnv = ReturnType<typeof workerEnv>;

/** The environment head processes start from: the worker's own minus Lockstep's configuration. */
export function childBaseEnv(): Record<string, string> {
  // Also no Seqera Platform token: it would make Nextflow load the nf-tower plugin.
  const drop = /^(DATABASE_URL|REDIS_URL|LOCKSTEP_.*|NEXTAUTH_.*|OIDC_.*|WORKER_.*|TOWER_ACCESS_TOKEN|NXF_PLUGINS_TEST_REPOSITORY)$/;
  return Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !drop.test(e[0])));
}
