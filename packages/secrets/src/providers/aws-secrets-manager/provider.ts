import {
  CreateSecretCommand,
  DeleteSecretCommand,
  paginateListSecrets,
  PutSecretValueCommand,
  SecretsManagerClient,
  TagResourceCommand,
  type Filter,
  type SecretListEntry,
  type SecretsManagerClientConfig,
  type Tag,
} from "@aws-sdk/client-secrets-manager";
import { redactText } from "@lockstep/redact";
import { secretNameProblem } from "@lockstep/validators";
import { inParallel } from "../../parallel";
import { ProviderError, type TManagedCopy, type TRunRef, type TSecretsProvider } from "../../provider";

export type TAwsCredentials = NonNullable<SecretsManagerClientConfig["credentials"]>;

export type TAwsSecretsManagerConfig = {
  region: string;
  /** Secret names are `<prefix><runId>/<NAME>`; a compute-environment setting so IAM can be scoped to `secret:<prefix>*`. */
  prefix?: string;
  /** Customer managed KMS key for the secrets; the Batch execution role then needs kms:Decrypt on it. */
  kmsKeyId?: string;
  /** A key pair or a provider (an assumed role). Omitted: the SDK's default chain (environment, profile, instance/task role). */
  credentials?: TAwsCredentials;
  /** Only for emulators (moto) and test proxies. */
  endpoint?: string;
  /** Attempts per AWS call, first one included, through the SDK's retry middleware (default 5). */
  maxAttempts?: number;
  /**
   * Base of the jittered exponential backoff between those attempts. Omitted: the SDK's standard
   * strategy (100 ms base, 500 ms for throttling). Tests against a local fault proxy set it low.
   */
  retryBaseDelayMs?: number;
  /** Deletes in flight at once during cleanup (default 4; 1 is one at a time, the benchmark's baseline). */
  deleteConcurrency?: number;
};

export const AWS_TAG_RUN = "lockstep:run";
export const AWS_TAG_WORKSPACE = "lockstep:workspace";
export const AWS_TAG_MANAGED = "lockstep:managed";

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const PREFIX = /^[A-Za-z0-9/_+=.@-]{1,64}$/;

/**
 * AWS Secrets Manager, one secret per run secret, named `<prefix><runId>/<NAME>` and tagged with
 * the run, its workspace and `lockstep:managed=true`. Nextflow's aws-batch executor does not read
 * a local store: the head job definition lists `secrets: [{name, valueFrom: <arn>}]` and ECS
 * resolves them with the Batch execution role, so provision returns the ARNs.
 *
 * Idempotent by construction: CreateSecret, and when the name exists (an earlier attempt whose
 * answer was lost), PutSecretValue + TagResource on it — a retry never duplicates a secret or
 * fails. Cleanup deletes with ForceDeleteWithoutRecovery: a recovery window would keep the
 * values readable for 7–30 days after the run, which is what write-only secrets must not do.
 *
 * Values only ever travel in request bodies; error messages carry operation, secret name and AWS
 * error code, with every value being provisioned scrubbed from whatever AWS said.
 */
export function awsSecretsManagerProvider(config: TAwsSecretsManagerConfig): TSecretsProvider {
  const prefix = config.prefix ?? "lockstep-";
  if (!PREFIX.test(prefix))
    throw new ProviderError("the AWS secret prefix may use only letters, digits and /_+=.@- (at most 64)", false);
  const clientConfig: SecretsManagerClientConfig = {
    region: config.region,
    maxAttempts: config.maxAttempts ?? 5,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
    ...(config.retryBaseDelayMs !== undefined
      ? { retryStrategy: jitteredRetryStrategy(config.maxAttempts ?? 5, config.retryBaseDelayMs) }
      : {}),
  };
  const client = new SecretsManagerClient(clientConfig);

  const runPrefix = (run: TRunRef) => {
    if (!RUN_ID.test(run.runId)) throw new ProviderError("run id must be a UUID", false);
    return `${prefix}${run.runId}/`;
  };

  /** Every secret of the run, found by name prefix; the exact check guards against a prefix filter that matches case-insensitively. */
  async function secretsOf(run: TRunRef): Promise<SecretListEntry[]> {
    const start = runPrefix(run);
    return list(
      [{ Key: "name", Values: [start] }],
      `listing the secrets of run ${run.runId}`,
      (s) => s.Name?.startsWith(start) === true,
    );
  }

  async function list(
    filters: Filter[],
    what: string,
    keep: (s: SecretListEntry) => boolean,
  ): Promise<SecretListEntry[]> {
    const found: SecretListEntry[] = [];
    try {
      for await (const page of paginateListSecrets({ client }, { Filters: filters, MaxResults: 100 })) {
        for (const secret of page.SecretList ?? []) if (keep(secret)) found.push(secret);
      }
    } catch (error) {
      throw classify(error, what, []);
    }
    return found;
  }

  /**
   * Deletes in parallel (`deleteConcurrency`, 4 by default): cleanup time is what the "deleted the
   * moment the run ends" promise is measured by, and one delete at a time grows with every secret
   * of the run (bench/README.md). Creation stays sequential: it shares the write quota with every run.
   */
  async function deleteAll(secrets: SecretListEntry[]): Promise<void> {
    const deleteOne = async (secret: SecretListEntry) => {
      const id = secret.ARN ?? secret.Name!;
      try {
        // No recovery window: scheduled deletion would keep the value readable (and the name taken) for 7–30 days.
        await client.send(new DeleteSecretCommand({ SecretId: id, ForceDeleteWithoutRecovery: true }));
      } catch (error) {
        if (errorName(error) === "ResourceNotFoundException") return;
        throw classify(error, `DeleteSecret ${secret.Name ?? id}`, []);
      }
    };
    await inParallel(secrets, deleteOne, config.deleteConcurrency ?? 4);
  }

  return {
    kind: "aws-secrets-manager",

    async provision(run, secrets) {
      const start = runPrefix(run);
      for (const { name } of secrets) {
        const problem = secretNameProblem(name);
        if (problem) throw new ProviderError(`secret name ${JSON.stringify(name)} ${problem}`, false);
      }
      const values = secrets.map((s) => s.value);
      const tags: Tag[] = [
        { Key: AWS_TAG_RUN, Value: run.runId },
        { Key: AWS_TAG_WORKSPACE, Value: run.workspaceId },
        { Key: AWS_TAG_MANAGED, Value: "true" },
      ];
      const bindings: Array<{ name: string; location: string }> = [];
      // One at a time: a run has a handful of secrets, and Secrets Manager's write quota (50 TPS
      // for CreateSecret) is shared by every run the worker provisions concurrently.
      for (const secret of secrets) {
        const secretName = `${start}${secret.name}`;
        let arn: string | undefined;
        try {
          const created = await client.send(
            new CreateSecretCommand({
              Name: secretName,
              SecretString: secret.value,
              Tags: tags,
              Description: `Lockstep run ${run.runId}: ${secret.name} (deleted when the run ends)`,
              ...(config.kmsKeyId ? { KmsKeyId: config.kmsKeyId } : {}),
            }),
          );
          arn = created.ARN;
        } catch (error) {
          if (errorName(error) !== "ResourceExistsException")
            throw classify(error, `CreateSecret ${secretName}`, values);
          try {
            const put = await client.send(
              new PutSecretValueCommand({ SecretId: secretName, SecretString: secret.value }),
            );
            arn = put.ARN;
            // The earlier attempt may have been made by a version without these tags; the sweeper finds secrets by them.
            await client.send(new TagResourceCommand({ SecretId: arn ?? secretName, Tags: tags }));
          } catch (retryError) {
            throw classify(retryError, `PutSecretValue ${secretName}`, values);
          }
        }
        if (!arn) throw new ProviderError(`Secrets Manager returned no ARN for ${secretName}`, true);
        bindings.push({ name: secret.name, location: arn });
      }
      // A retry with a narrower set (a secret removed from the run's set in between) leaves exactly
      // the copies it was given. ListSecrets is eventually consistent on AWS: a copy it does not
      // show yet is still deleted by cleanup or the sweeper.
      const wanted = new Set(secrets.map((s) => `${start}${s.name}`));
      await deleteAll((await secretsOf(run)).filter((s) => !wanted.has(s.Name!)));
      return { env: { NXF_ENABLE_SECRETS: "true" }, locations: bindings.map((b) => b.location), bindings };
    },

    async cleanup(run) {
      await deleteAll(await secretsOf(run));
    },

    async listManaged(): Promise<TManagedCopy[]> {
      // Only this prefix: the copies this provider's cleanup can delete, so the sweeper converges.
      const managed = await list(
        [
          { Key: "tag-key", Values: [AWS_TAG_MANAGED] },
          { Key: "name", Values: [prefix] },
        ],
        "listing managed secrets",
        (s) =>
          s.Name?.startsWith(prefix) === true &&
          s.Tags?.some((t) => t.Key === AWS_TAG_MANAGED && t.Value === "true") === true,
      );
      const copies: TManagedCopy[] = [];
      for (const secret of managed) {
        const runId =
          secret.Tags?.find((t) => t.Key === AWS_TAG_RUN)?.Value ?? secret.Name!.slice(prefix.length).split("/")[0]!;
        if (secret.ARN) copies.push({ runId, location: secret.ARN });
      }
      return copies;
    },
  };
}

type TSdkError = {
  name?: string;
  code?: string;
  message?: string;
  $fault?: string;
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number };
};

function errorName(error: unknown): string {
  const e = error as TSdkError;
  return e?.name ?? "Error";
}

const RETRYABLE_NAMES = new Set([
  "ThrottlingException",
  "Throttling",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "InternalServiceError",
  "InternalFailure",
  "ServiceUnavailable",
  "RequestTimeout",
  "RequestTimeoutException",
  "TimeoutError",
]);
const PERMANENT_NAMES = new Set([
  "AccessDeniedException",
  "AccessDenied",
  "ValidationException",
  "InvalidParameterException",
  "InvalidRequestException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "MalformedPolicyDocumentException",
  "EncryptionFailure",
  "LimitExceededException",
]);
const NETWORK_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ECONNABORTED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EAI_AGAIN",
  "ENOTFOUND",
]);

/**
 * Throttling, 5xx and network failures are worth retrying (the worker's backoff); denied access,
 * invalid input and everything else a client sent wrong are not.
 */
export function classify(error: unknown, what: string, values: string[]): ProviderError {
  if (error instanceof ProviderError) return error;
  const e = (error ?? {}) as TSdkError;
  const name = errorName(error);
  const status = e.$metadata?.httpStatusCode;
  let retryable: boolean;
  if (PERMANENT_NAMES.has(name)) retryable = false;
  else if (RETRYABLE_NAMES.has(name) || NETWORK_CODES.has(e.code ?? "") || NETWORK_CODES.has(name)) retryable = true;
  else if (status !== undefined) retryable = status >= 500 || status === 429 || status === 408;
  // No HTTP status and no network error code: a local problem (configuration, credentials chain).
  else retryable = e.$retryable !== undefined;
  // Redacted before it is cut, so a value straddling the cut is still found whole.
  const detail = redactText(e.message ?? "", values)
    .replace(/\s+/g, " ")
    .slice(0, 300);
  return new ProviderError(
    `aws-secrets-manager: ${what} failed: ${name}${status ? ` (HTTP ${status})` : ""}${detail ? `: ${detail}` : ""}`,
    retryable,
  );
}

type TRetryStrategyV2 = Extract<
  NonNullable<SecretsManagerClientConfig["retryStrategy"]>,
  { refreshRetryTokenForRetry: unknown }
>;
type TRetryToken = Awaited<ReturnType<TRetryStrategyV2["acquireInitialRetryToken"]>>;

/**
 * Plugged into the SDK's retry middleware in place of its standard strategy, when a shorter base
 * delay is wanted: retries transient, throttling and server errors up to `maxAttempts` with
 * full-jitter exponential backoff (base · 2^n, capped at 20 s).
 */
function jitteredRetryStrategy(maxAttempts: number, baseDelayMs: number): TRetryStrategyV2 {
  const token = (count: number, delay: number): TRetryToken => ({
    getRetryCount: () => count,
    getRetryDelay: () => delay,
  });
  return {
    acquireInitialRetryToken: async () => token(0, 0),
    refreshRetryTokenForRetry: async (previous, info) => {
      const count = previous.getRetryCount() + 1;
      if (info.errorType === "CLIENT_ERROR" || count >= maxAttempts) throw new Error("no more attempts");
      return token(count, Math.random() * Math.min(20_000, baseDelayMs * 2 ** count));
    },
    recordSuccess: () => {},
  };
}
