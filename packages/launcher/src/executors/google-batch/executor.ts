import { createRequire } from "node:module";
import { BatchServiceClient, type protos } from "@google-cloud/batch";
import { status as grpcStatus } from "@grpc/grpc-js";
import { redactText } from "@lockstep/redact";
import { cloudHeadFor } from "../../cloud-head";
import { googleVersionRef, headExtensionJar, secretsManifest } from "../../nf-lockstep";
import { assertRunId, ExecutorError, type TExecutor, type THeadState } from "../../executor";

type TClientOptions = NonNullable<ConstructorParameters<typeof BatchServiceClient>[0]>;
type TChannelCredentials = NonNullable<TClientOptions["sslCreds"]>;
type TJob = protos.google.cloud.batch.v1.IJob;

export type TGoogleBatchConfig = {
  projectId: string;
  /** The Batch location, e.g. europe-west4. */
  region: string;
  /** The service account (email) the head job's VM runs as: it reads the run's secrets and submits the task jobs. */
  serviceAccount: string;
  /** The Nextflow head image. */
  image: string;
  /** Default e2-standard-2. */
  machineType?: string;
  /** A parsed service-account key JSON; omitted: Application Default Credentials. */
  credentials?: object;
  /**
   * nf-lockstep's jar (see nf-lockstep.ts), built on demand at start. With it the head resolves
   * `secrets.X` from Secret Manager, and each task that declares `secret 'X'` reads X from Secret
   * Manager at task start with the VM's service account (docs/google.md, "Secrets in tasks").
   */
  nfLockstepJar?: () => Promise<Buffer>;
  /** Emulators/fakes only: host, port, plain-text gRPC without credentials. */
  apiEndpoint?: string;
  port?: number;
  insecure?: boolean;
  /** Longest a call may take, retries included (the client's own defaults otherwise: up to a minute for reads). */
  callTimeoutMs?: number;
};

/** What the head job is given: the environment and command the executor built. */
type TGoogleBatchHeadSpec = {
  runId: string;
  /** Non-secret environment for the head job: from the secrets provider NXF_GOOGLE_SECRET_VARS and GOOGLE_CLOUD_PROJECT (resource names only), plus paths and flags. */
  env: Record<string, string>;
  command: string[];
};

// gRPC status codes (google.rpc.Code) — the client surfaces them as `error.code`; named by grpc-js' enum.
const CODE_NAMES: Record<number, string> = grpcStatus as unknown as Record<number, string>;

// A retry cannot fix: INVALID_ARGUMENT, NOT_FOUND, ALREADY_EXISTS, PERMISSION_DENIED, FAILED_PRECONDITION, OUT_OF_RANGE, UNIMPLEMENTED, UNAUTHENTICATED.
const PERMANENT = new Set<number>([
  grpcStatus.INVALID_ARGUMENT,
  grpcStatus.NOT_FOUND,
  grpcStatus.ALREADY_EXISTS,
  grpcStatus.PERMISSION_DENIED,
  grpcStatus.FAILED_PRECONDITION,
  grpcStatus.OUT_OF_RANGE,
  grpcStatus.UNIMPLEMENTED,
  grpcStatus.UNAUTHENTICATED,
]);
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RUNNING = new Set(["STATE_UNSPECIFIED", "QUEUED", "SCHEDULED", "RUNNING", "CANCELLATION_IN_PROGRESS"]);
const ENDED = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
const LABEL_RUN = "lockstep-run";
const LABEL_MANAGED = "lockstep-managed";

/**
 * The Nextflow head job on Google Cloud Batch: one job `lockstep-<runId>` with a single container
 * task. Unlike AWS Batch, nothing has to be registered per run: Nextflow's google-batch support
 * reads the run's secrets from Secret Manager itself, using the resource names the
 * google-secret-manager provider put in NXF_GOOGLE_SECRET_VARS and the VM's service account. So
 * the job spec (visible to anyone with batch.jobs.get, and in audit logs) holds names, never values.
 *
 * Job ids are per project and location, so the id doubles as the idempotency key: CreateJob
 * answering ALREADY_EXISTS means an earlier attempt got through.
 */
export function googleBatchExecutor(config: TGoogleBatchConfig): TExecutor {
  // Checked at every call rather than at construction, so "Check connection" reports it like any other problem.
  const invalid = configProblem(config);
  const parent = `projects/${config.projectId}/locations/${config.region}`;
  const options = config.callTimeoutMs ? { timeout: config.callTimeoutMs } : {};

  let client: BatchServiceClient | undefined;
  const batch = () => {
    if (invalid) throw invalid;
    client ??= new BatchServiceClient({
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
  const jobIdOf = (runId: string) => {
    assertRunId(runId);
    return `lockstep-${runId}`;
  };

  async function getJob(name: string): Promise<TJob | undefined> {
    try {
      const [job] = await batch().getJob({ name }, options);
      return job;
    } catch (error) {
      if (codeOf(error) === grpcStatus.NOT_FOUND) return undefined;
      throw batchError(error, `GetJob ${name}`);
    }
  }

  /** Idempotent: a job already created for the run (retry after a lost answer) is returned. */
  async function submit(job: TGoogleBatchHeadSpec): Promise<{ jobId: string }> {
    const jobId = jobIdOf(job.runId);
    // Built here rather than taken from the answer: Google may name the project by its number.
    const name = `${parent}/jobs/${jobId}`;
    for (const key of Object.keys(job.env)) {
      if (!ENV_NAME.test(key)) throw new ExecutorError(`${key} is not a valid environment variable name`, false);
    }
    if (job.command.length === 0) throw new ExecutorError("the head job needs a command", false);
    const values = Object.values(job.env);

    const spec: TJob = {
      labels: { [LABEL_RUN]: job.runId, [LABEL_MANAGED]: "true" },
      taskGroups: [
        {
          taskCount: 1,
          taskSpec: {
            // No entrypoint override: the Nextflow images' own entrypoint execs the command.
            runnables: [{ container: { imageUri: config.image, commands: job.command } }],
            environment: { variables: job.env },
            // Nextflow resubmits failed tasks itself; a retried head job would start the pipeline over.
            maxRetryCount: 0,
          },
        },
      ],
      allocationPolicy: {
        serviceAccount: { email: config.serviceAccount },
        instances: [{ policy: { machineType: config.machineType ?? "e2-standard-2" } }],
      },
      logsPolicy: { destination: "CLOUD_LOGGING" },
    };
    try {
      await batch().createJob({ parent, jobId, job: spec }, options);
      return { jobId: name };
    } catch (error) {
      if (codeOf(error) !== grpcStatus.ALREADY_EXISTS) throw batchError(error, `CreateJob ${name}`, values);
    }
    // An earlier attempt created it (its answer was lost): that job is this run's head job.
    const existing = await getJob(name);
    if (!existing)
      throw new ExecutorError(
        `Google Batch: CreateJob ${name} answered ALREADY_EXISTS but GetJob finds no such job (being deleted?)`,
        true,
      );
    if (existing.labels?.[LABEL_RUN] !== job.runId)
      throw new ExecutorError(
        `Google Batch: ${name} exists but was not created by Lockstep for run ${job.runId}`,
        false,
      );
    return { jobId: name };
  }

  return {
    kind: "google-batch",

    // Nothing to prepare: the head's files are in the gs:// work directory, its secrets in Secret Manager.
    async prepare(run) {
      jobIdOf(run.runId);
      return { owner: null };
    },

    async start(run) {
      jobIdOf(run.runId);
      const secrets = config.nfLockstepJar
        ? {
            extensionJar: await headExtensionJar(config.nfLockstepJar),
            manifest: secretsManifest(
              { store: "google-secret-manager" },
              run.secretBindings.map((b) => ({ name: b.name, ref: googleVersionRef(b.location) })),
            ),
          }
        : undefined;
      const { command, env } = cloudHeadFor(
        {
          kind: "google-batch",
          projectId: config.projectId,
          region: config.region,
          serviceAccount: config.serviceAccount,
        },
        run,
        secrets,
      );
      const { jobId } = await submit({ runId: run.runId, env, command });
      return { ref: jobId };
    },

    /** The ref is the job's full resource name, as start returned it. */
    async status({ ref: jobId }): Promise<THeadState> {
      const job = await getJob(jobId);
      if (!job)
        return {
          state: "vanished",
          detail: `Batch job ${jobId} is unknown to GetJob (Batch deletes jobs 60 days after they end)`,
        };
      const state = String(job.status?.state ?? "STATE_UNSPECIFIED");
      if (RUNNING.has(state)) return { state: "running" };
      if (state === "SUCCEEDED") return { state: "finished", exitCode: 0 };
      if (state === "FAILED" || state === "CANCELLED") {
        // The latest task exit code Batch reported; none (never started, cancelled, VM lost): 1.
        const exitCode = (job.status?.statusEvents ?? [])
          .map((event) => event.taskExecution?.exitCode)
          .findLast((code) => typeof code === "number" && code !== 0);
        return { state: "finished", exitCode: exitCode ?? 1 };
      }
      if (state === "DELETION_IN_PROGRESS") return { state: "vanished", detail: `Batch job ${jobId} is being deleted` };
      // A state this code does not know: neither guess "running" forever nor give the run up.
      throw new ExecutorError(`Google Batch: GetJob ${jobId} answered an unknown job state ${state}`, true);
    },

    async cancel({ ref: jobId }) {
      try {
        // CancelJob is a long-running operation; not awaited: the job's own state tells the outcome.
        await batch().cancelJob({ name: jobId }, options);
      } catch (error) {
        const code = codeOf(error);
        if (code === grpcStatus.NOT_FOUND) return; // gone: nothing left to stop
        // A job that already ended has nothing to cancel.
        if (code === grpcStatus.FAILED_PRECONDITION && ENDED.has(String((await getJob(jobId))?.status?.state))) return;
        throw batchError(error, `CancelJob ${jobId}`);
      }
    },

    /**
     * Nothing to release on Google: the job spec holds only resource names, the secrets themselves
     * are the secrets provider's to clean up, and Batch deletes finished jobs after 60 days.
     */
    async release({ runId }) {
      jobIdOf(runId);
    },

    /** "Check connection": the credentials may list Batch jobs in the project and location. */
    async check() {
      try {
        // One page of one job is enough to prove the API is enabled and the account may use it here.
        await batch().listJobs({ parent, pageSize: 1 }, { ...options, autoPaginate: false });
      } catch (error) {
        throw batchError(error, `ListJobs ${parent}`);
      }
      return { reached: `Batch in ${config.projectId}/${config.region}` };
    },

    async close() {
      await client?.close();
      client = undefined;
    },
  };
}

function configProblem(config: TGoogleBatchConfig): ExecutorError | null {
  const problem = !/^[a-z0-9][a-z0-9.:-]{0,62}$/.test(config.projectId)
    ? "projectId must be a Google Cloud project id"
    : !/^[a-z0-9-]{1,63}$/.test(config.region)
      ? "region must be a Google Cloud location such as europe-west4"
      : !/^[^@\s]+@[^@\s]+$/.test(config.serviceAccount)
        ? "serviceAccount must be a service account email"
        : !config.image.trim()
          ? "image must name the Nextflow head image"
          : null;
  return problem ? new ExecutorError(`Google Batch: ${problem}`, false) : null;
}

/**
 * The message names the call and the gRPC status plus the service's explanation; any env value
 * found in that explanation is redacted (in any encoded form, see @lockstep/redact), as the API
 * may echo parts of the request.
 */
function batchError(error: unknown, call: string, values: string[] = []): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const code = codeOf(error);
  const e = error as { details?: unknown; message?: unknown; code?: unknown } | null;
  const raw = String(
    (typeof e?.details === "string" && e.details) || (typeof e?.message === "string" && e.message) || "unknown error",
  );
  const detail = redactText(raw, values).replace(/\s+/g, " ").slice(0, 300);
  const status =
    code !== undefined ? (CODE_NAMES[code] ?? `code ${code}`) : typeof e?.code === "string" ? e.code : "error";
  // No status at all: the channel itself failed (unreachable, reset), which a later try may not meet.
  return new ExecutorError(
    `Google Batch: ${call} failed (${status}: ${detail})`,
    code === undefined || !PERMANENT.has(code),
  );
}

function codeOf(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

/**
 * Plain-text gRPC credentials for an emulator or fake. They must come from the very @grpc/grpc-js
 * copy the client library uses (grpc-js checks `instanceof`), so they are loaded through the
 * client's own google-gax rather than a second copy of grpc-js.
 */
function insecureChannelCredentials(): TChannelCredentials {
  const clientEntry = createRequire(import.meta.url).resolve("@google-cloud/batch");
  const gax = createRequire(clientEntry)("google-gax") as {
    grpc: { credentials: { createInsecure(): TChannelCredentials } };
  };
  return gax.grpc.credentials.createInsecure();
}
