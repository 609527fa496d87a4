import { join } from "node:path";
import {
  allocateRunUid,
  noteComputeEnvReachability,
  sealedCredential,
  type TCleanupTarget,
  type TComputeEnv,
  type TComputeEnvRow,
  type TRun,
} from "@lockstep/db";
import {
  awsBatchExecutor,
  ExecutorError,
  googleBatchExecutor,
  localExecutor,
  schedulerFor,
  slurmExecutor,
  sshClusterExecutor,
  sshPool,
  withRemoteFiles,
  type SshPool,
  type TSshEndpoint,
  type TExecutor,
  type THostOptions,
  type TSandboxConfig,
  type TSandboxIdentity,
} from "@lockstep/launcher";
import {
  awsSecretsManagerProvider,
  googleSecretManagerProvider,
  nextflowFileProvider,
  ProviderError,
  sshFileProvider,
  type TSecretsProvider,
} from "@lockstep/secrets";
import {
  isSshComputeKind,
  parseComputeEnv,
  SSH_COMPUTE_KINDS,
  sshSettingsOf,
  ZAwsCredential,
  ZGoogleCredential,
  ZSshCredential,
} from "@lockstep/validators";
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
  /**
   * nf-lockstep's jar for cloud heads, built with javac against this Nextflow release's verified
   * jars (packages/launcher/src/nf-lockstep.ts). Absent: cloud heads start without it, and only
   * the head receives the run's secrets (the tests that check the head job alone).
   */
  nfLockstepJar?(version: string): Promise<Buffer>;
  /** The Java a head runs Nextflow with (default `java`). */
  java?: string;
  /** The worker's environment minus Lockstep's own settings: what sbatch and friends are called with (PATH, SLURM_CONF). */
  baseEnv: Record<string, string>;
  /** How runs on this machine are isolated (see @lockstep/launcher's sandbox.ts and docs/security.md). */
  isolation?: Partial<TIsolation>;
  /** Milliseconds between two looks at a running run (MONITOR_INTERVAL_MS). */
  monitorIntervalMs: number;
  cloud?: TCloudOverrides;
  /** LOCKSTEP_LOCAL_PIPELINE_ROOTS: where local-path pipelines may live; absent or empty refuses every local path. */
  localPipelineRoots?: string[];
  /** Webhook delivery: retry base (ms, doubled per attempt), per-attempt timeout, ports never called. */
  webhooks?: { retryBaseMs?: number; timeoutMs?: number; blockedPorts?: number[] };
  /** SSH connections to clusters' login nodes, pooled per compute environment (tests pass one with short timeouts). */
  sshPool?: SshPool;
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

/**
 * Everything a compute environment means for a run: where its secrets go (a provider from
 * @lockstep/secrets) and where its head runs (an executor from @lockstep/launcher). The worker
 * knows nothing more of either: cloud credentials are opened here just for the calls.
 */
export type TTarget = { provider: TSecretsProvider; executor: TExecutor; close(): Promise<void> };

export type TTargetContext = { db: TDatabase; keys: { opening: OpeningKeyring }; runtime: TRuntime };

/**
 * Where a run's files live: a directory on the worker's machine, the run's prefix in the cloud work
 * directory, or (SSH clusters) the run's directory in the launch directory on the cluster.
 */
export function runDirOf(ce: TComputeEnv, run: Pick<TRun, "id">): string {
  return runDirIn(parseComputeEnv(ce), run);
}

function runDirIn(ce: TComputeEnvRow, run: Pick<TRun, "id">): string {
  const ssh = sshSettingsOf(ce);
  if (ssh) return join(ssh.launchDir, run.id);
  return ce.workDir.includes("://") ? `${ce.workDir.replace(/\/+$/, "")}/${run.id}` : join(ce.workDir, run.id);
}

const CREDENTIAL_LABEL = { aws: "AWS", google: "Google", ssh: "SSH" } as const;

async function openCredential(
  ctx: TTargetContext,
  ce: Pick<TComputeEnv, "workspaceId">,
  credentialId: string,
  provider: "aws" | "google" | "ssh",
) {
  const row = await sealedCredential(ctx.db, credentialId);
  if (!row || row.workspaceId !== ce.workspaceId || row.provider !== provider) {
    throw new ProviderError(
      `the compute environment's ${CREDENTIAL_LABEL[provider]} credentials were deleted or replaced`,
      false,
    );
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

/** The login node as the workspace's cluster account: its key opened here, for this connection's life only. */
async function sshEndpointFor(
  ctx: TTargetContext,
  workspaceId: string,
  credentialId: string,
  node: { host: string; port: number; hostKeySha256: string | null },
): Promise<TSshEndpoint> {
  const credential = ZSshCredential.safeParse(await openCredential(ctx, { workspaceId }, credentialId, "ssh"));
  if (!credential.success) throw new ProviderError("the SSH credentials no longer match the expected form", false);
  return {
    ...node,
    user: credential.data.user,
    privateKey: credential.data.privateKey,
    ...(credential.data.passphrase ? { passphrase: credential.data.passphrase } : {}),
  };
}

function sshStoreProvider(ctx: TTargetContext, endpoint: TSshEndpoint, launchDir: string): TSecretsProvider {
  const pool = ctx.runtime.sshPool ?? sshPool;
  return sshFileProvider({
    launchDir,
    where: `${endpoint.user}@${endpoint.host}:${endpoint.port}`,
    withFiles: (use) => withRemoteFiles(endpoint, use, pool),
  });
}

/** Where a compute environment's secrets store is, by its current settings (recorded on a run at provision). */
export function storeOf(row: TComputeEnv, run: Pick<TRun, "id">, owner: TSandboxIdentity | null): TCleanupTarget {
  const ce = parseComputeEnv(row);
  switch (ce.kind) {
    case "ssh-slurm":
    case "ssh-lsf":
    case "ssh-pbspro":
    case "ssh-sge": {
      const config = ce.config;
      const runDir = join(config.launchDir, run.id);
      return {
        provider: "ssh-file",
        credentialId: config.credentialId,
        host: config.host,
        port: config.port,
        hostKeySha256: config.hostKeySha256 ?? "",
        launchDir: config.launchDir,
        runDir,
        secretsDir: join(runDir, "secrets"),
      };
    }
    case "local":
    case "slurm": {
      const runDir = runDirIn(ce, run);
      return {
        provider: "nextflow-file",
        runsDir: ce.workDir,
        runDir,
        secretsDir: join(runDir, "secrets"),
        runUid: owner?.uid ?? null,
      };
    }
    case "aws-batch": {
      const config = ce.config;
      return {
        provider: "aws-secrets-manager",
        region: config.region,
        prefix: config.secretPrefix,
        credentialId: config.credentialId,
        ...(config.kmsKeyId ? { kmsKeyId: config.kmsKeyId } : {}),
      };
    }
    case "google-batch": {
      const config = ce.config;
      return {
        provider: "google-secret-manager",
        projectId: config.projectId,
        region: config.region,
        prefix: config.secretPrefix,
        credentialId: config.credentialId,
      };
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
    case "ssh-file":
      return `ssh:${store.credentialId}:${store.host}:${store.port}:${store.launchDir}`;
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
      return {
        provider: nextflowFileProvider({ runsDir: store.runsDir, ...(owner ? { owner } : {}) }),
        close: async () => {},
      };
    case "ssh-file": {
      // The host key recorded with the store: cleanup never follows a login node that changed since.
      const endpoint = await sshEndpointFor(ctx, workspaceId, store.credentialId, {
        host: store.host,
        port: store.port,
        hostKeySha256: store.hostKeySha256 || null,
      });
      return { provider: sshStoreProvider(ctx, endpoint, store.launchDir), close: async () => {} };
    }
    case "aws-secrets-manager": {
      const credential = ZAwsCredential.safeParse(
        await openCredential(ctx, { workspaceId }, store.credentialId, "aws"),
      );
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
      const credential = ZGoogleCredential.safeParse(
        await openCredential(ctx, { workspaceId }, store.credentialId, "google"),
      );
      if (!credential.success)
        throw new ProviderError("the Google credentials no longer match the expected form", false);
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

/** What the local and host-Slurm executors need of this worker: its sandbox, its run identities, Nextflow and Java. */
function hostOptions(ctx: TTargetContext): THostOptions {
  const isolation = isolationOf(ctx.runtime);
  return {
    sandbox: isolation.sandbox,
    sandboxProblem: isolation.problem,
    hidden: isolation.hidden,
    root: isolation.root,
    runUidBase: isolation.runUidBase,
    allocateUid: (runId) => allocateRunUid(ctx.db, runId),
    slurmRunUser: isolation.slurmRunUser,
    nextflowLib: (version) => ctx.runtime.nextflowLib(version),
    java: ctx.runtime.java ?? "java",
    localPipelineRoots: ctx.runtime.localPipelineRoots ?? [],
    baseEnv: ctx.runtime.baseEnv,
    unsafeUnsandboxed: isolation.unsafeUnsandboxed,
  };
}

export async function targetFor(ctx: TTargetContext, row: TComputeEnv): Promise<TTarget> {
  const overrides = ctx.runtime.cloud ?? {};
  const ce = parseComputeEnv(row);
  switch (ce.kind) {
    case "ssh-slurm":
    case "ssh-lsf":
    case "ssh-pbspro":
    case "ssh-sge": {
      const config = ce.config;
      const endpoint = await sshEndpointFor(ctx, ce.workspaceId, config.credentialId, {
        host: config.host,
        port: config.port,
        hostKeySha256: config.hostKeySha256 ?? null,
      });
      let scheduler;
      try {
        scheduler = schedulerFor(SSH_COMPUTE_KINDS[ce.kind]);
      } catch (error) {
        throw new ProviderError(
          error instanceof Error ? error.message : `the ${ce.kind} scheduler is not available`,
          false,
        );
      }
      const executor = sshClusterExecutor({
        scheduler,
        endpoint,
        workDir: ce.workDir,
        launchDir: config.launchDir,
        ...(config.queue ? { queue: config.queue } : {}),
        headOptions: config.headOptions,
        java: config.java,
        nextflow: config.nextflow.mode === "stage" ? { stage: true } : { libDir: config.nextflow.libDir },
        nextflowLib: (version) => ctx.runtime.nextflowLib(version),
        pool: ctx.runtime.sshPool ?? sshPool,
      });
      return { provider: sshStoreProvider(ctx, endpoint, config.launchDir), executor, close: () => executor.close() };
    }
    case "local":
    case "slurm": {
      const executor =
        ce.kind === "local" ? localExecutor(hostOptions(ctx)) : slurmExecutor(ce.config, hostOptions(ctx));
      return { provider: nextflowFileProvider({ runsDir: ce.workDir }), executor, close: () => executor.close() };
    }
    case "aws-batch": {
      const config = ce.config;
      const credential = ZAwsCredential.safeParse(await openCredential(ctx, ce, config.credentialId, "aws"));
      if (!credential.success) throw new ProviderError("the AWS credentials no longer match the expected form", false);
      const credentials = awsCredentialsFor(credential.data, {
        region: config.region,
        endpoint: overrides.awsEndpoint,
      });
      const provider = awsSecretsManagerProvider({
        region: config.region,
        prefix: config.secretPrefix,
        ...(config.kmsKeyId ? { kmsKeyId: config.kmsKeyId } : {}),
        credentials,
        ...(overrides.awsEndpoint ? { endpoint: overrides.awsEndpoint } : {}),
        ...(overrides.awsRetryBaseDelayMs !== undefined ? { retryBaseDelayMs: overrides.awsRetryBaseDelayMs } : {}),
      });
      const executor = awsBatchExecutor({
        region: config.region,
        jobQueue: config.jobQueue,
        executionRoleArn: config.executionRoleArn,
        image: config.headImage,
        credentials,
        ...(ctx.runtime.nfLockstepJar ? { nfLockstepJar: () => ctx.runtime.nfLockstepJar!(ce.nextflowVersion) } : {}),
        ...(overrides.awsEndpoint ? { endpoint: overrides.awsEndpoint } : {}),
      });
      return { provider, executor, close: () => executor.close() };
    }
    case "google-batch": {
      const config = ce.config;
      const credential = ZGoogleCredential.safeParse(await openCredential(ctx, ce, config.credentialId, "google"));
      if (!credential.success)
        throw new ProviderError("the Google credentials no longer match the expected form", false);
      const sm = overrides.googleSecretManager;
      const provider = googleSecretManagerProvider({
        projectId: config.projectId,
        region: config.region,
        prefix: config.secretPrefix,
        ...(sm ? { apiEndpoint: sm.host, port: sm.port, insecure: true } : { credentials: credential.data }),
      });
      const gb = overrides.googleBatch;
      const executor = googleBatchExecutor({
        projectId: config.projectId,
        region: config.region,
        serviceAccount: config.serviceAccount,
        image: config.headImage ?? `nextflow/nextflow:${ce.nextflowVersion}`,
        ...(config.machineType ? { machineType: config.machineType } : {}),
        ...(ctx.runtime.nfLockstepJar ? { nfLockstepJar: () => ctx.runtime.nfLockstepJar!(ce.nextflowVersion) } : {}),
        ...(gb ? { apiEndpoint: gb.host, port: gb.port, insecure: true } : { credentials: credential.data }),
      });
      return {
        provider,
        executor,
        close: async () => {
          await Promise.all([executor.close(), (provider as { close?: () => Promise<void> }).close?.()]);
        },
      };
    }
  }
}

/** Runs `use` with the compute environment's target and always releases its clients. */
export async function withTarget<T>(
  ctx: TTargetContext,
  ce: TComputeEnv,
  use: (target: TTarget) => Promise<T>,
): Promise<T> {
  const target = await targetFor(ctx, ce);
  try {
    const result = await use(target);
    if (isSshComputeKind(ce.kind) && ce.checkOk === false && ce.checkMessage?.startsWith(UNREACHABLE_NOTE)) {
      await noteComputeEnvReachability(ctx.db, ce.id, {
        ok: true,
        message: "Reached again while working on a run.",
        at: new Date(),
      }).catch(() => {});
    }
    return result;
  } catch (error) {
    // An SSH cluster that stops answering mid-run is retried with backoff by the job; the environment's status says so meanwhile.
    if (
      isSshComputeKind(ce.kind) &&
      (error instanceof ExecutorError || error instanceof ProviderError) &&
      error.retryable
    ) {
      await noteComputeEnvReachability(ctx.db, ce.id, {
        ok: false,
        message: `${UNREACHABLE_NOTE}${error.message}`.slice(0, 500),
        at: new Date(),
      }).catch(() => {});
    }
    throw error;
  } finally {
    await target.close().catch(() => {});
  }
}

/** How a compute environment's status starts when a run found its cluster away (cleared once it answers again). */
export const UNREACHABLE_NOTE = "While working on a run: ";
