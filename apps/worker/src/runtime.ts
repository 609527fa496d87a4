import { spawnSync } from "node:child_process";
import { chmod, chown, lchown, lstat, mkdir, stat } from "node:fs/promises";
import { join } from "node:path";
import { allocateRunUid, sealedCredential, type TCleanupTarget, type TComputeEnv, type TRun } from "@lockstep/db";
import {
  awsBatchHeadJob,
  googleBatchHeadJob,
  localExecutor,
  slurmExecutor,
  type TCloudTarget,
  type TExecutor,
  type THeadState,
  type TSandboxConfig,
  type TSandboxIdentity,
  type TSlurmConfig,
} from "@lockstep/launcher";
import { awsSecretsManagerProvider, googleSecretManagerProvider, nextflowFileProvider, ProviderError, type TSecretsProvider } from "@lockstep/secrets";
import { ZAwsBatchConfig, ZAwsCredential, ZGoogleBatchConfig, ZGoogleCredential } from "@lockstep/validators";
import type { OpeningKeyring } from "@lockstep/crypto";
import type { TDatabase } from "@lockstep/db";
import { awsCredentialsFor } from "./aws-credentials";

/** Emulator endpoints (tests and local development only); production talks to the real clouds. */
export type TCloudOverrides = {
  /** moto: one endpoint for Secrets Manager, Batch and STS. */
  awsEndpoint?: string;
  /** A Secret Manager emulator on plain-text gRPC. */
  googleSecretManager?: { host: string; port: number };
  /** A Batch server on plain-text gRPC (tests use the fake in @lockstep/devstack). */
  googleBatch?: { host: string; port: number };
  /** Backoff base for AWS retries (tests against a fault proxy set it low). */
  awsRetryBaseDelayMs?: number;
};

/** How the worker reaches Nextflow and the machines runs execute on. */
export type TRuntime = {
  /** The verified lib directory of a Nextflow release (staged next to runs before a head starts). */
  nextflowLib(version: string): Promise<string>;
  /** The Java a head runs Nextflow with (default `java`). */
  java?: string;
  /** The worker's environment minus Lockstep's own settings: what sbatch and friends are called with (PATH, SLURM_CONF). */
  baseEnv: Record<string, string>;
  /** How runs on this machine are isolated (see @lockstep/launcher's sandbox.ts and docs/security.md). */
  isolation?: Partial<TIsolation>;
  /** Seconds between two looks at a running run. */
  monitorIntervalMs: number;
  cloud?: TCloudOverrides;
  /** LOCKSTEP_LOCAL_PIPELINE_ROOTS: where local-path pipelines may live; absent or empty refuses every local path. */
  localPipelineRoots?: string[];
};

/**
 * How host runs are isolated. `runUidBase`: as root, each local run gets uid/gid base+n (n from a
 * cycling sequence, unique among unfinished runs); `slurmRunUser`: the Unix account host-Slurm head
 * jobs are submitted as. `problem`: why this machine cannot make a sandbox (found at boot); every
 * host launch then fails with it. `unsafeUnsandboxed` exists for the hostile-pipeline suite's
 * positive control only.
 */
export type TIsolation = {
  sandbox: TSandboxConfig;
  root: boolean;
  runUidBase: number;
  slurmRunUser: string;
  problem: string | null;
  unsafeUnsandboxed: boolean;
  /** Paths no sandbox may show (the keys file, the data directory, Lockstep's sources). */
  hidden: string[];
};

export function isolationOf(runtime: TRuntime): TIsolation {
  return {
    sandbox: { bwrap: "bwrap", readOnly: [] },
    root: process.getuid?.() === 0,
    runUidBase: 1_900_000_000,
    slurmRunUser: "lockstep-run",
    problem: null,
    unsafeUnsandboxed: false,
    hidden: [],
    ...runtime.isolation,
  };
}

/** A run's head as the processors see it, whatever runs it. */
export type THead = {
  readonly kind: TComputeEnv["kind"];
  status(ref: string, runDir: string): Promise<THeadState>;
  cancel(ref: string, runDir: string): Promise<void>;
  /** Frees what the executor kept for the run once it ended (AWS: the per-run job definition). */
  release(runId: string): Promise<void>;
};

/**
 * Everything a compute environment means for a run: where its secrets go, where its head runs.
 * "host" targets (local, Slurm) share a filesystem with the worker: a run directory, head.sh, the
 * console log. "cloud" targets (AWS Batch, Google Batch) run the head in a container the worker
 * only reaches through the cloud's API, with the workspace's credentials opened just for the call.
 */
export type TTarget =
  | { place: "host"; provider: TSecretsProvider; head: THead; executor: TExecutor; close(): Promise<void> }
  | {
      place: "cloud";
      provider: TSecretsProvider;
      head: THead;
      cloud: TCloudTarget;
      image: string;
      start(job: { runId: string; env: Record<string, string>; command: string[]; bindings: Array<{ name: string; location: string }> }): Promise<{ ref: string }>;
      /** "Check connection", head side: the Batch API answers for the configured queue / location. Throws saying what is wrong. */
      check(): Promise<void>;
      close(): Promise<void>;
    };

export type TTargetContext = { db: TDatabase; keys: { opening: OpeningKeyring }; runtime: TRuntime };

/** Where a run's files live: a directory on the worker's machine, or the run's prefix in the cloud work directory. */
export function runDirOf(ce: Pick<TComputeEnv, "workDir">, run: Pick<TRun, "id">): string {
  return ce.workDir.includes("://") ? `${ce.workDir.replace(/\/+$/, "")}/${run.id}` : join(ce.workDir, run.id);
}

async function openCredential(ctx: TTargetContext, ce: Pick<TComputeEnv, "workspaceId">, credentialId: string, provider: "aws" | "google") {
  const row = await sealedCredential(ctx.db, credentialId);
  if (!row || row.workspaceId !== ce.workspaceId || row.provider !== provider) {
    throw new ProviderError(`the compute environment's ${provider === "aws" ? "AWS" : "Google"} credentials were deleted or replaced`, false);
  }
  let text: string;
  try {
    text = await ctx.keys.opening.open(row.sealed, { scope: "credential", ownerId: row.workspaceId, name: row.name });
  } catch {
    throw new ProviderError(`credentials "${row.name}" could not be opened with this worker's keys`, false);
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProviderError(`credentials "${row.name}" are not valid JSON`, false);
  }
}

/** Where a compute environment's secrets store is, by its current settings (recorded on a run at provision). */
export function storeOf(ce: TComputeEnv, run: Pick<TRun, "id">, owner: TSandboxIdentity | null): TCleanupTarget {
  switch (ce.kind) {
    case "local":
    case "slurm": {
      const runDir = runDirOf(ce, run);
      return { provider: "nextflow-file", runsDir: ce.workDir, runDir, secretsDir: join(runDir, "secrets"), runUid: owner?.uid ?? null };
    }
    case "aws-batch": {
      const config = ZAwsBatchConfig.parse(ce.config);
      return { provider: "aws-secrets-manager", region: config.region, prefix: config.secretPrefix, credentialId: config.credentialId, ...(config.kmsKeyId ? { kmsKeyId: config.kmsKeyId } : {}) };
    }
    case "google-batch": {
      const config = ZGoogleBatchConfig.parse(ce.config);
      return { provider: "google-secret-manager", projectId: config.projectId, region: config.region, prefix: config.secretPrefix, credentialId: config.credentialId };
    }
  }
}

/** One key per store, so compute environments (or runs) that share a store are listed once. */
export function storeKey(store: TCleanupTarget): string {
  switch (store.provider) {
    case "nextflow-file":
      return `file:${store.runsDir}`;
    case "aws-secrets-manager":
      return `aws:${store.credentialId}:${store.region}:${store.prefix}`;
    case "google-secret-manager":
      return `google:${store.credentialId}:${store.projectId}:${store.prefix}`;
  }
}

/**
 * The secrets provider for a recorded store: cleanup and the sweeper use this, never the compute
 * environment's current settings (which may have changed while a run held them, or be gone).
 */
export async function providerForStore(
  ctx: TTargetContext,
  workspaceId: string,
  store: TCleanupTarget,
  owner: TSandboxIdentity | null = null,
): Promise<{ provider: TSecretsProvider; close(): Promise<void> }> {
  const overrides = ctx.runtime.cloud ?? {};
  switch (store.provider) {
    case "nextflow-file":
      return { provider: nextflowFileProvider({ runsDir: store.runsDir, ...(owner ? { owner } : {}) }), close: async () => {} };
    case "aws-secrets-manager": {
      const credential = ZAwsCredential.safeParse(await openCredential(ctx, { workspaceId }, store.credentialId, "aws"));
      if (!credential.success) throw new ProviderError("the AWS credentials no longer match the expected form", false);
      const credentials = awsCredentialsFor(credential.data, { region: store.region, endpoint: overrides.awsEndpoint });
      const provider = awsSecretsManagerProvider({
        region: store.region,
        prefix: store.prefix,
        ...(store.kmsKeyId ? { kmsKeyId: store.kmsKeyId } : {}),
        credentials,
        ...(overrides.awsEndpoint ? { endpoint: overrides.awsEndpoint } : {}),
        ...(overrides.awsRetryBaseDelayMs !== undefined ? { retryBaseDelayMs: overrides.awsRetryBaseDelayMs } : {}),
      });
      return { provider, close: async () => {} };
    }
    case "google-secret-manager": {
      const credential = ZGoogleCredential.safeParse(await openCredential(ctx, { workspaceId }, store.credentialId, "google"));
      if (!credential.success) throw new ProviderError("the Google credentials no longer match the expected form", false);
      const sm = overrides.googleSecretManager;
      const provider = googleSecretManagerProvider({
        projectId: store.projectId,
        region: store.region,
        prefix: store.prefix,
        ...(sm ? { apiEndpoint: sm.host, port: sm.port, insecure: true } : { credentials: credential.data }),
      });
      return { provider, close: async () => (provider as { close?: () => Promise<void> }).close?.() };
    }
  }
}

export async function targetFor(ctx: TTargetContext, ce: TComputeEnv): Promise<TTarget> {
  const overrides = ctx.runtime.cloud ?? {};
  switch (ce.kind) {
    case "local":
    case "slurm": {
      const isolation = isolationOf(ctx.runtime);
      const executor =
        ce.kind === "local"
          ? localExecutor({ sandbox: isolation.sandbox, ...(isolation.unsafeUnsandboxed ? { unsafeUnsandboxed: { baseEnv: ctx.runtime.baseEnv } } : {}) })
          : slurmExecutor(ce.config as TSlurmConfig, { baseEnv: ctx.runtime.baseEnv, sandbox: isolation.sandbox });
      return {
        place: "host",
        provider: nextflowFileProvider({ runsDir: ce.workDir }),
        executor,
        head: { kind: ce.kind, status: (ref, dir) => executor.status(ref, dir), cancel: (ref, dir) => executor.cancel(ref, dir), release: async () => {} },
        close: async () => {},
      };
    }
    case "aws-batch": {
      const config = ZAwsBatchConfig.parse(ce.config);
      const credential = ZAwsCredential.safeParse(await openCredential(ctx, ce, config.credentialId, "aws"));
      if (!credential.success) throw new ProviderError("the AWS credentials no longer match the expected form", false);
      const credentials = awsCredentialsFor(credential.data, { region: config.region, endpoint: overrides.awsEndpoint });
      const provider = awsSecretsManagerProvider({
        region: config.region,
        prefix: config.secretPrefix,
        ...(config.kmsKeyId ? { kmsKeyId: config.kmsKeyId } : {}),
        credentials,
        ...(overrides.awsEndpoint ? { endpoint: overrides.awsEndpoint } : {}),
        ...(overrides.awsRetryBaseDelayMs !== undefined ? { retryBaseDelayMs: overrides.awsRetryBaseDelayMs } : {}),
      });
      const batch = awsBatchHeadJob({
        region: config.region,
        jobQueue: config.jobQueue,
        executionRoleArn: config.executionRoleArn,
        image: config.headImage,
        credentials,
        ...(overrides.awsEndpoint ? { endpoint: overrides.awsEndpoint } : {}),
      });
      return {
        place: "cloud",
        provider,
        cloud: { kind: "aws-batch", region: config.region, jobQueue: config.jobQueue },
        image: config.headImage,
        async start(job) {
          const { jobId } = await batch.start({ runId: job.runId, env: job.env, command: job.command, secretArns: job.bindings.map((b) => ({ name: b.name, arn: b.location })) });
          return { ref: jobId };
        },
        async check() {
          try {
            await batch.check();
          } catch (error) {
            const message = error instanceof Error ? error.message : "unknown error";
            throw new Error(`AWS Batch: ${message.replace(/\s+/g, " ").slice(0, 300)}`);
          }
        },
        head: { kind: "aws-batch", status: (ref) => batch.status(ref), cancel: (ref) => batch.cancel(ref), release: (runId) => batch.release(runId) },
        close: async () => {},
      };
    }
    case "google-batch": {
      const config = ZGoogleBatchConfig.parse(ce.config);
      const credential = ZGoogleCredential.safeParse(await openCredential(ctx, ce, config.credentialId, "google"));
      if (!credential.success) throw new ProviderError("the Google credentials no longer match the expected form", false);
      const sm = overrides.googleSecretManager;
      const provider = googleSecretManagerProvider({
        projectId: config.projectId,
        region: config.region,
        prefix: config.secretPrefix,
        ...(sm ? { apiEndpoint: sm.host, port: sm.port, insecure: true } : { credentials: credential.data }),
      });
      const image = config.headImage ?? `nextflow/nextflow:${ce.nextflowVersion}`;
      const gb = overrides.googleBatch;
      const batch = googleBatchHeadJob({
        projectId: config.projectId,
        region: config.region,
        serviceAccount: config.serviceAccount,
        image,
        ...(config.machineType ? { machineType: config.machineType } : {}),
        ...(gb ? { apiEndpoint: gb.host, port: gb.port, insecure: true } : { credentials: credential.data }),
      });
      return {
        place: "cloud",
        provider,
        cloud: { kind: "google-batch", projectId: config.projectId, region: config.region, serviceAccount: config.serviceAccount },
        image,
        start: async (job) => ({ ref: (await batch.start({ runId: job.runId, env: job.env, command: job.command })).jobId }),
        check: () => batch.check(),
        head: { kind: "google-batch", status: (ref) => batch.status(ref), cancel: (ref) => batch.cancel(ref), release: (runId) => batch.release(runId) },
        close: async () => {
          await Promise.all([batch.close(), (provider as { close?: () => Promise<void> }).close?.()]);
        },
      };
    }
  }
}

/** Runs `use` with the compute environment's target and always releases its clients. */
export async function withTarget<T>(ctx: TTargetContext, ce: TComputeEnv, use: (target: TTarget) => Promise<T>): Promise<T> {
  const target = await targetFor(ctx, ce);
  try {
    return await use(target);
  } finally {
    await target.close().catch(() => {});
  }
}

function lookupUser(name: string): TSandboxIdentity {
  const id = (flag: string) => spawnSync("id", [flag, name], { encoding: "utf8" });
  const [u, g] = [id("-u"), id("-g")];
  if (u.status !== 0 || g.status !== 0) {
    throw new ProviderError(
      `the host Slurm run user "${name}" does not exist on this machine: create it (useradd --system --no-create-home --shell /usr/sbin/nologin ${name}) or set LOCKSTEP_SLURM_RUN_USER — see docs/security.md`,
      false,
    );
  }
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * The unprivileged identity a host run's files and processes belong to. A root worker gives each
 * local run a uid of its own (base + a per-run offset) and submits host-Slurm heads as the
 * configured run user; a worker that is not root runs heads as itself, inside the sandbox.
 */
export async function runOwner(ctx: TTargetContext, ce: Pick<TComputeEnv, "kind">, run: Pick<TRun, "id">): Promise<TSandboxIdentity | null> {
  const isolation = isolationOf(ctx.runtime);
  if (!isolation.root || isolation.unsafeUnsandboxed) return null;
  switch (ce.kind) {
    case "local": {
      const uid = isolation.runUidBase + (await allocateRunUid(ctx.db, run.id));
      return { uid, gid: uid };
    }
    case "slurm":
      return lookupUser(isolation.slurmRunUser);
    default:
      return null;
  }
}

/**
 * Creates a host run's directory: 0700, owned by the run's identity, inside a runs directory that
 * run users may enter but not list (0711), so no run can find or read another's files.
 */
export async function prepareRunDir(_ctx: TTargetContext, store: Extract<TCleanupTarget, { provider: "nextflow-file" }>, owner: TSandboxIdentity | null) {
  try {
    await mkdir(store.runsDir, { recursive: true, mode: 0o711 });
    if (owner && ((await stat(store.runsDir)).mode & 0o001) === 0) {
      throw new ProviderError(`run users cannot enter the work directory ${store.runsDir}: make it (and its parents) executable by others (chmod o+x), not readable`, false);
    }
    await mkdir(store.runDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    const info = await lstat(store.runDir);
    if (!info.isDirectory()) throw new ProviderError(`${store.runDir} is not a directory`, false);
    await chmod(store.runDir, 0o700);
    if (owner) await chown(store.runDir, owner.uid, owner.gid);
  } catch (error) {
    if (error instanceof ProviderError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new ProviderError(`could not create the run directory ${store.runDir} (${e.code ?? "error"})`, ["ENOSPC", "EBUSY", "EAGAIN", "EIO"].includes(e.code ?? ""));
  }
}

/** Hands files the worker wrote into a run directory to the run's identity (never following links). */
export async function handOver(paths: string[], owner: TSandboxIdentity | null) {
  if (!owner) return;
  for (const path of paths) await lchown(path, owner.uid, owner.gid);
}
