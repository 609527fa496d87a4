import { createRequire } from "node:module";
import { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { status as grpcStatus } from "@grpc/grpc-js";
import { redactText } from "@lockstep/redact";
import { inParallel } from "../../parallel";
import { ProviderError, type TManagedCopy, type TRunRef, type TRunSecret, type TSecretsProvider } from "../../provider";

type TClientOptions = NonNullable<ConstructorParameters<typeof SecretManagerServiceClient>[0]>;
type TChannelCredentials = NonNullable<TClientOptions["sslCreds"]>;
type TSecret = { name?: string | null; labels?: Record<string, string> | null };

export type TGoogleSecretManagerConfig = {
  /** The project the secrets live in (and the one Nextflow's head job reads them from). */
  projectId: string;
  /** Every secret is replicated to this one location only: the compute environment's region. */
  region: string;
  /** Secret ids start with it, so IAM conditions can be scoped to `projects/<p>/secrets/<prefix>`. */
  prefix?: string;
  /** A service-account key (the parsed JSON). Without it, Application Default Credentials are used. */
  credentials?: object;
  /** For an emulator: host name (or `host:port`), its port, and plain-text gRPC without credentials. */
  apiEndpoint?: string;
  port?: number;
  insecure?: boolean;
};

// gRPC status codes (google.rpc.Code) — the client surfaces them as `error.code`; named by grpc-js' enum.
const CODE_NAMES: Record<number, string> = grpcStatus as unknown as Record<number, string>;
/**
 * Worth retrying: the service is busy, throttling, or the connection dropped (UNKNOWN and CANCELLED
 * are what a reset transport usually reports, DATA_LOSS a corrupted payload in transit). Everything
 * else — PERMISSION_DENIED, INVALID_ARGUMENT, UNAUTHENTICATED, FAILED_PRECONDITION, NOT_FOUND,
 * UNIMPLEMENTED… — needs a person to change something, so retrying only delays the alert.
 */
const RETRYABLE_CODES = new Set<number>([
  grpcStatus.CANCELLED,
  grpcStatus.UNKNOWN,
  grpcStatus.DEADLINE_EXCEEDED,
  grpcStatus.RESOURCE_EXHAUSTED,
  grpcStatus.ABORTED,
  grpcStatus.INTERNAL,
  grpcStatus.UNAVAILABLE,
  grpcStatus.DATA_LOSS,
]);
/** Node network errors without a gRPC status (e.g. fetching an OAuth token): transient. */
const RETRYABLE_NETWORK = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "ETIMEDOUT",
  "EPIPE",
  "EAI_AGAIN",
  "ENOTFOUND",
  "ENETUNREACH",
  "EHOSTUNREACH",
]);

const LABEL_RUN = "lockstep-run";
const LABEL_WORKSPACE = "lockstep-workspace";
const LABEL_MANAGED = "lockstep-managed";
/** Google label values: lowercase letters, digits, `_` and `-`, at most 63 characters. */
const LABEL_VALUE = /^[a-z0-9_-]{1,63}$/;
/** Google secret ids: letters, digits, `_` and `-`, at most 255 characters. */
const SECRET_ID = /^[A-Za-z0-9_-]{1,255}$/;
const PREFIX = /^[A-Za-z0-9_-]{1,64}$/;
/** Parallel requests per provision/cleanup: well inside Secret Manager's per-minute quotas. */

/**
 * Google Secret Manager, one secret per run secret: id `<prefix><runId>-<NAME>`, labels for the
 * run, workspace and "managed by Lockstep", replication pinned to the compute environment's region.
 * Nextflow's head job finds them through `NXF_GOOGLE_SECRET_VARS` (base64 JSON of name → version
 * resource) and `GOOGLE_CLOUD_PROJECT`.
 *
 * Idempotency: CreateSecret answering ALREADY_EXISTS means an earlier attempt got that far; we then
 * read the `latest` version and add one only if there is none usable or its payload differs, so a
 * retry after a lost response adds nothing. Two attempts racing could each add the same value —
 * an identical extra version, harmless (`latest` resolves to the same bytes) and deleted with the
 * secret. Secrets of the run that are no longer in the set are deleted, so the run ends up with
 * exactly the copies it was given. Deleting a secret deletes all its versions.
 *
 * The list filters are never trusted alone: every secret we delete or report is re-checked against
 * its labels and the prefix, so a filter the backend does not understand (the emulator then returns
 * everything) cannot make cleanup delete someone else's secret.
 */
export function googleSecretManagerProvider(
  config: TGoogleSecretManagerConfig,
): TSecretsProvider & { secretId(run: TRunRef, name: string): string; close(): Promise<void> } {
  const prefix = config.prefix ?? "lockstep-";
  if (!PREFIX.test(prefix))
    throw new ProviderError("the secret prefix may use letters, digits, '_' and '-' (at most 64)", false);
  if (!/^[a-z0-9][a-z0-9.:-]{0,62}$/.test(config.projectId))
    throw new ProviderError("projectId must be a Google Cloud project id", false);
  if (!/^[a-z0-9-]{1,63}$/.test(config.region))
    throw new ProviderError("region must be a Google Cloud location such as europe-west4", false);
  const project = `projects/${config.projectId}`;

  let client: SecretManagerServiceClient | undefined;
  const sm = () => {
    client ??= new SecretManagerServiceClient({
      projectId: config.projectId,
      ...(config.credentials ? { credentials: config.credentials as TClientOptions["credentials"] } : {}),
      ...(config.apiEndpoint ? { apiEndpoint: config.apiEndpoint } : {}),
      ...(config.port ? { port: config.port } : {}),
      // Naming the universe stops the auth library probing the GCE metadata server to learn it,
      // which an emulator setup (no credentials at all) would otherwise do on the first call.
      ...(config.insecure ? { sslCreds: insecureChannelCredentials(), universeDomain: "googleapis.com" } : {}),
    });
    return client;
  };

  const checkRun = (run: TRunRef) => {
    if (!LABEL_VALUE.test(run.runId))
      throw new ProviderError("run id must be lowercase letters, digits, '-' or '_' (at most 63)", false);
    if (!LABEL_VALUE.test(run.workspaceId)) {
      throw new ProviderError("workspace id must be lowercase letters, digits, '-' or '_' (at most 63)", false);
    }
  };
  const secretId = (run: TRunRef, name: string) => {
    checkRun(run);
    const id = `${prefix}${run.runId}-${name}`;
    if (!SECRET_ID.test(id))
      throw new ProviderError(`secret name ${JSON.stringify(name)} cannot be part of a Google secret id`, false);
    return id;
  };
  const resourceName = (id: string) => `${project}/secrets/${id}`;
  const idOf = (secret: TSecret) => secret.name?.split("/secrets/")[1] ?? "";
  const isOurs = (secret: TSecret) => secret.labels?.[LABEL_MANAGED] === "true" && idOf(secret).startsWith(prefix);

  async function list(filter: string, action: string): Promise<TSecret[]> {
    const found: TSecret[] = [];
    try {
      // autoPaginate: false only silences the client's warning; the async iterator pages anyway.
      for await (const secret of sm().listSecretsAsync(
        { parent: project, filter, pageSize: 250 },
        { autoPaginate: false },
      )) {
        if (isOurs(secret)) found.push(secret);
      }
    } catch (error) {
      throw toProviderError(error, action);
    }
    return found;
  }
  const secretsOfRun = async (runId: string) =>
    (await list(`labels.${LABEL_RUN}=${runId}`, `list the secrets of run ${runId}`)).filter(
      (s) => s.labels?.[LABEL_RUN] === runId,
    );

  async function remove(name: string) {
    try {
      await sm().deleteSecret({ name });
    } catch (error) {
      if (codeOf(error) === grpcStatus.NOT_FOUND) return; // already gone: that is what we wanted
      throw toProviderError(error, `delete ${name}`);
    }
  }

  /** True when `latest` exists, is enabled and holds exactly `value`. */
  async function latestHolds(name: string, value: Buffer, values: string[]): Promise<boolean> {
    try {
      const [response] = await sm().accessSecretVersion({ name: `${name}/versions/latest` });
      const data = response.payload?.data;
      return data != null && Buffer.from(data).equals(value);
    } catch (error) {
      // No version yet, or latest disabled/destroyed: add one. PERMISSION_DENIED: the platform's role
      // lacks secretmanager.versions.access (see docs/google.md); adding an identical version is
      // the harmless fallback, and a real permission problem fails on AddSecretVersion next.
      if (
        [grpcStatus.NOT_FOUND, grpcStatus.FAILED_PRECONDITION, grpcStatus.PERMISSION_DENIED].includes(
          codeOf(error) ?? -1,
        )
      )
        return false;
      throw toProviderError(error, `read the latest version of ${name}`, values);
    }
  }

  async function put(run: TRunRef, secret: TRunSecret, values: string[]) {
    const id = secretId(run, secret.name);
    const name = resourceName(id);
    const value = Buffer.from(secret.value, "utf8");
    let existed = false;
    try {
      await sm().createSecret({
        parent: project,
        secretId: id,
        secret: {
          labels: { [LABEL_RUN]: run.runId, [LABEL_WORKSPACE]: run.workspaceId, [LABEL_MANAGED]: "true" },
          replication: { userManaged: { replicas: [{ location: config.region }] } },
        },
      });
    } catch (error) {
      if (codeOf(error) !== grpcStatus.ALREADY_EXISTS) throw toProviderError(error, `create ${name}`, values);
      existed = true;
    }
    if (existed && (await latestHolds(name, value, values))) return;
    try {
      await sm().addSecretVersion({ parent: name, payload: { data: value } });
    } catch (error) {
      throw toProviderError(error, `add a version to ${name}`, values);
    }
  }

  return {
    kind: "google-secret-manager",
    secretId,

    async provision(run, secrets) {
      checkRun(run);
      const names = secrets.map((s) => s.name);
      if (new Set(names).size !== names.length)
        throw new ProviderError("a run cannot have two secrets with the same name", false);
      const ids = new Map(secrets.map((s) => [s.name, secretId(run, s.name)]));
      const values = secrets.map((s) => s.value);

      await inParallel(secrets, (secret) => put(run, secret, values));
      // A retry with a narrower set (a secret deleted meanwhile) must not leave the dropped copies.
      const wanted = new Set(ids.values());
      const stale = (await secretsOfRun(run.runId)).filter((s) => !wanted.has(idOf(s)));
      await inParallel(stale, (s) => remove(s.name!));

      const vars = Object.fromEntries(
        secrets.map((s) => [s.name, `${resourceName(ids.get(s.name)!)}/versions/latest`]),
      );
      return {
        env: {
          NXF_GOOGLE_SECRET_VARS: Buffer.from(JSON.stringify(vars), "utf8").toString("base64"),
          GOOGLE_CLOUD_PROJECT: config.projectId,
        },
        locations: [...ids.values()].map(resourceName),
        bindings: secrets.map((s) => ({ name: s.name, location: resourceName(ids.get(s.name)!) })),
      };
    },

    async cleanup(run) {
      checkRun(run);
      const secrets = await secretsOfRun(run.runId);
      await inParallel(secrets, (s) => remove(s.name!));
    },

    async listManaged(): Promise<TManagedCopy[]> {
      const secrets = await list(`labels.${LABEL_MANAGED}=true`, "list the secrets Lockstep manages");
      // Resource names are rebuilt from the project id: Google answers with the project number.
      return secrets.flatMap((s) => {
        const runId = s.labels?.[LABEL_RUN];
        return runId ? [{ runId, location: resourceName(idOf(s)) }] : [];
      });
    },

    async close() {
      await client?.close();
      client = undefined;
    },
  };
}

/**
 * Classifies a Secret Manager failure for the worker (retry or alert). The message names the action
 * and the status, plus the service's own explanation (which names permissions and resources, never
 * payloads); any of `values` found in it is masked all the same.
 */
export function toProviderError(error: unknown, action: string, values: string[] = []): ProviderError {
  if (error instanceof ProviderError) return error;
  const code = codeOf(error);
  const e = error as { details?: unknown; message?: unknown; code?: unknown } | null;
  const raw = String(
    (typeof e?.details === "string" && e.details) || (typeof e?.message === "string" && e.message) || "unknown error",
  );
  const detail = redactText(raw, values).replace(/\s+/g, " ").slice(0, 300);
  if (code !== undefined) {
    const status = CODE_NAMES[code] ?? `code ${code}`;
    return new ProviderError(
      `Google Secret Manager: could not ${action} (${status}: ${detail})`,
      RETRYABLE_CODES.has(code),
    );
  }
  const networkCode = typeof e?.code === "string" ? e.code : undefined;
  const retryable = networkCode !== undefined && RETRYABLE_NETWORK.has(networkCode);
  return new ProviderError(
    `Google Secret Manager: could not ${action} (${networkCode ?? "error"}: ${detail})`,
    retryable,
  );
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * Plain-text gRPC credentials for an emulator. They must come from the very @grpc/grpc-js copy the
 * client library uses (grpc-js checks `instanceof`), so they are loaded through the client's own
 * google-gax rather than a second copy of grpc-js.
 */
function insecureChannelCredentials(): TChannelCredentials {
  const clientEntry = createRequire(import.meta.url).resolve("@google-cloud/secret-manager");
  const gax = createRequire(clientEntry)("google-gax") as {
    grpc: { credentials: { createInsecure(): TChannelCredentials } };
  };
  return gax.grpc.credentials.createInsecure();
}
