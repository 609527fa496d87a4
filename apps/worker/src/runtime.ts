import { join } from "node:path";
import { sealedCredential, type TComputeEnv, type TRun } from "@lockstep/db";
import {
  awsBatchHeadJob,
  googleBatchHeadJob,
  localExecutor,
  slurmExecutor,
  type TCloudTarget,
  type TExecutor,
  type THeadState,
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
  /** argv that starts a given Nextflow release (e.g. java -cp … nextflow.cli.Launcher). */
  nextflowCommand(version: string): Promise<string[]>;
  /** Environment every head process starts from (PATH, HOME, JAVA_HOME …). */
  baseEnv: Record<string, string>;
  /** Seconds between two looks at a running run. */
  monitorIntervalMs: number;
  cloud?: TCloudOverrides;
  /** LOCKSTEP_LOCAL_PIPELINE_ROOTS: where local-path pipelines may live; absent or empty refuses every local path. */
  localPipelineRoots?: string[];
};

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

export async function targetFor(ctx: TTargetContext, ce: TComputeEnv): Promise<TTarget> {
  const overrides = ctx.runtime.cloud ?? {};
  switch (ce.kind) {
    case "local":
    case "slurm": {
      const executor = ce.kind === "local" ? localExecutor({ baseEnv: ctx.runtime.baseEnv }) : slurmExecutor(ce.config as TSlurmConfig, { baseEnv: ctx.runtime.baseEnv });
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
