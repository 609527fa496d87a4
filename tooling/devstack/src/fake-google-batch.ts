import { randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import grpc from "@grpc/grpc-js";
import protoLoader from "@grpc/proto-loader";
import type { protos } from "@google-cloud/batch";
import { StartupError } from "./log";
import { isPortFree } from "./ports";

/**
 * A FAKE Google Cloud Batch API for tests — not Google's service and not an emulator. Google ships
 * no Batch emulator (unlike Secret Manager, which has gcp-emulator.ts), so the google-batch
 * executor is tested against this in-process gRPC server instead. It loads Google's own published
 * protos from the @google-cloud/batch package, so the official client talks to it over its real
 * wire protocol (gRPC, protobuf encoding, google.longrunning operations, gRPC status codes).
 *
 * What it covers — only the calls the executor makes, with the status codes Google documents:
 * - BatchService/CreateJob: new jobs start QUEUED; ALREADY_EXISTS for a duplicate job id;
 *   INVALID_ARGUMENT for a malformed parent or job id, or a job without exactly one task group
 *   with at least one runnable. Without a job id one is generated, as Google does.
 * - GetJob (NOT_FOUND), ListJobs (paged; filters and ordering are refused with UNIMPLEMENTED rather
 *   than ignored, so a caller can never mistake "everything" for a filtered answer).
 * - DeleteJob and CancelJob: a `google.longrunning.Operation` that is already done, so the client
 *   never needs to poll; CancelJob moves the job to CANCELLED at once (Google passes through
 *   CANCELLATION_IN_PROGRESS), DeleteJob removes it at once (Google: DELETION_IN_PROGRESS first).
 *   Cancelling a job that already ended answers FAILED_PRECONDITION — an assumption: Google does
 *   not document that case.
 * - google.longrunning.Operations/GetOperation, for the operations above.
 *
 * What it does not do: no VM is created, no container runs, nothing is logged to Cloud Logging,
 * no IAM or service-account check, no quota, no location list. Jobs change state only when a test
 * calls setState(). Operations carry no OperationMetadata. Resource names keep the project id the
 * caller sent (Google may answer with the project number). Everything is in memory; each fake
 * starts empty and listens on 127.0.0.1 only, plain text, without authentication.
 */

type TJob = protos.google.cloud.batch.v1.IJob;
type TStatusEvent = protos.google.cloud.batch.v1.IStatusEvent;
type TOperation = protos.google.longrunning.IOperation;
type TTimestamp = { seconds: string; nanos: number };

/** A job as the fake recorded it. */
export type TFakeJob = {
  /** `projects/<p>/locations/<r>/jobs/<jobId>` */
  name: string;
  parent: string;
  jobId: string;
  /** Batch's own unique id for the job (the name can be reused once the job is deleted). */
  uid: string;
  /** The `job` of the CreateJobRequest exactly as decoded (unset fields absent; int64 as strings, enums as names). */
  job: TJob;
  state: string;
  statusEvents: TStatusEvent[];
  /** Removed by DeleteJob; the id is free again. */
  deleted: boolean;
};

export type TFakeGoogleBatchState = "RUNNING" | "SUCCEEDED" | "FAILED";

export type TStartedFakeGoogleBatch = {
  /** The host a client dials: pass as `apiEndpoint`, with `port` and plain-text (insecure) gRPC. */
  endpoint: string;
  port: number;
  /** Every job the fake received, in order, including deleted ones (copies). */
  jobs(): TFakeJob[];
  /** What Batch would do as the job runs: moves it to `state`, recording a status event (with the task's exit code, if given). */
  setState(jobName: string, state: TFakeGoogleBatchState, exitCode?: number): void;
  /** The methods called, in order, without the service prefix: "CreateJob", "GetJob", "GetOperation"… */
  calls: string[];
  stop(): Promise<void>;
};

const NAME = "fake Google Batch";
const PARENT = /^projects\/[^/]+\/locations\/[^/]+$/;
const JOB_NAME = /^projects\/[^/]+\/locations\/[^/]+\/jobs\/[^/]+$/;
/** Google's rule for job ids: a lowercase letter, then up to 62 lowercase letters, digits or hyphens, not ending in a hyphen. */
const JOB_ID = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const TERMINAL = new Set(["SUCCEEDED", "FAILED", "CANCELLED"]);
const ANY_PREFIX = "type.googleapis.com/";

type TFail = { code: grpc.status; details: string };
class FakeStatus extends Error {
  constructor(
    readonly code: grpc.status,
    details: string,
  ) {
    super(`${NAME}: ${details}`);
  }
}

export async function startFakeGoogleBatch(opts: { port: number }): Promise<TStartedFakeGoogleBatch> {
  const host = "127.0.0.1";
  if (!(await isPortFree(opts.port, host)))
    throw new StartupError(`port ${opts.port} is already in use; cannot start the ${NAME} there`);
  const definition = loadBatchProtos();

  const records: TFakeJob[] = [];
  const operations = new Map<string, TOperation>();
  const calls: string[] = [];
  const live = (name: string) => records.find((r) => r.name === name && !r.deleted);
  const mustFind = (name: string) => {
    if (!JOB_NAME.test(name))
      throw new FakeStatus(
        grpc.status.INVALID_ARGUMENT,
        `${JSON.stringify(name)} is not a job name (projects/*/locations/*/jobs/*)`,
      );
    const record = live(name);
    if (!record) throw new FakeStatus(grpc.status.NOT_FOUND, `job ${name} not found`);
    return record;
  };
  const changeState = (record: TFakeJob, state: string, exitCode?: number) => {
    record.statusEvents.push({
      type: "STATUS_CHANGED",
      description: `Job state is set from ${record.state} to ${state} for job ${record.name}.`,
      eventTime: now() as TStatusEvent["eventTime"],
      ...(exitCode !== undefined ? { taskExecution: { exitCode } } : {}),
    });
    record.state = state;
  };
  const doneOperation = (parent: string, responseType: string): TOperation => {
    const operation: TOperation = {
      name: `${parent}/operations/operation-${Date.now()}-${randomUUID()}`,
      done: true,
      // Both response types (CancelJobResponse, google.protobuf.Empty) have no fields: zero bytes.
      response: { typeUrl: `${ANY_PREFIX}${responseType}`, value: Buffer.alloc(0) } as TOperation["response"],
    };
    operations.set(operation.name!, operation);
    return operation;
  };

  /** Wraps a handler: records the call, turns FakeStatus into a gRPC status the client decodes. */
  function unary<TRequest, TResponse>(
    method: string,
    handle: (request: TRequest) => TResponse,
  ): grpc.handleUnaryCall<TRequest, TResponse> {
    return (call, callback) => {
      calls.push(method);
      try {
        callback(null, handle(call.request));
      } catch (error) {
        const fail: TFail =
          error instanceof FakeStatus
            ? { code: error.code, details: error.message }
            : {
                code: grpc.status.INTERNAL,
                details: `${NAME}: ${error instanceof Error ? error.message : String(error)}`,
              };
        callback(fail);
      }
    };
  }

  const batchService: grpc.UntypedServiceImplementation = {
    CreateJob: unary("CreateJob", (request: protos.google.cloud.batch.v1.ICreateJobRequest): TJob => {
      const parent = request.parent ?? "";
      if (!PARENT.test(parent))
        throw new FakeStatus(
          grpc.status.INVALID_ARGUMENT,
          `parent ${JSON.stringify(parent)} is not projects/*/locations/*`,
        );
      const jobId = request.jobId || `job-${randomUUID()}`;
      if (!JOB_ID.test(jobId)) {
        throw new FakeStatus(
          grpc.status.INVALID_ARGUMENT,
          `job id ${JSON.stringify(jobId)} must match ${JOB_ID.source}`,
        );
      }
      const job = request.job;
      if (!job) throw new FakeStatus(grpc.status.INVALID_ARGUMENT, "job is required");
      if (job.taskGroups?.length !== 1)
        throw new FakeStatus(grpc.status.INVALID_ARGUMENT, "a job must have exactly one task group");
      if (!job.taskGroups[0]?.taskSpec?.runnables?.length)
        throw new FakeStatus(grpc.status.INVALID_ARGUMENT, "the task group needs at least one runnable");
      const name = `${parent}/jobs/${jobId}`;
      if (live(name)) throw new FakeStatus(grpc.status.ALREADY_EXISTS, `job ${name} already exists`);
      const uid = `${jobId.slice(0, 40)}-${randomUUID()}`;
      const record: TFakeJob = {
        name,
        parent,
        jobId,
        uid,
        job: structuredClone(job),
        state: "STATE_UNSPECIFIED",
        statusEvents: [],
        deleted: false,
      };
      changeState(record, "QUEUED");
      records.push(record);
      return served(record);
    }),

    GetJob: unary("GetJob", (request: protos.google.cloud.batch.v1.IGetJobRequest) =>
      served(mustFind(request.name ?? "")),
    ),

    ListJobs: unary(
      "ListJobs",
      (request: protos.google.cloud.batch.v1.IListJobsRequest): protos.google.cloud.batch.v1.IListJobsResponse => {
        const parent = request.parent ?? "";
        if (!PARENT.test(parent))
          throw new FakeStatus(
            grpc.status.INVALID_ARGUMENT,
            `parent ${JSON.stringify(parent)} is not projects/*/locations/*`,
          );
        if (request.filter || request.orderBy)
          throw new FakeStatus(grpc.status.UNIMPLEMENTED, "the fake does not evaluate filter or order_by");
        // `locations/-` lists every location of the project, as Google does.
        const matches = (r: TFakeJob) =>
          r.parent === parent || (parent.endsWith("/locations/-") && r.parent.startsWith(parent.slice(0, -1)));
        const all = records.filter((r) => !r.deleted && matches(r));
        const start = request.pageToken ? Number(request.pageToken) : 0;
        if (!Number.isInteger(start) || start < 0)
          throw new FakeStatus(grpc.status.INVALID_ARGUMENT, "invalid page token");
        const size = request.pageSize && request.pageSize > 0 ? request.pageSize : 100;
        const page = all.slice(start, start + size);
        return {
          jobs: page.map(served),
          ...(start + size < all.length ? { nextPageToken: String(start + size) } : {}),
        };
      },
    ),

    DeleteJob: unary("DeleteJob", (request: protos.google.cloud.batch.v1.IDeleteJobRequest) => {
      const record = mustFind(request.name ?? "");
      record.deleted = true;
      return doneOperation(record.parent, "google.protobuf.Empty");
    }),

    CancelJob: unary("CancelJob", (request: protos.google.cloud.batch.v1.ICancelJobRequest) => {
      const record = mustFind(request.name ?? "");
      if (TERMINAL.has(record.state))
        throw new FakeStatus(grpc.status.FAILED_PRECONDITION, `job ${record.name} already ended (${record.state})`);
      changeState(record, "CANCELLED");
      return doneOperation(record.parent, "google.cloud.batch.v1.CancelJobResponse");
    }),
  };

  const operationsService: grpc.UntypedServiceImplementation = {
    GetOperation: unary("GetOperation", (request: protos.google.longrunning.IGetOperationRequest) => {
      const operation = operations.get(request.name ?? "");
      if (!operation) throw new FakeStatus(grpc.status.NOT_FOUND, `operation ${request.name} not found`);
      return operation;
    }),
  };

  const server = new grpc.Server();
  // Methods left out (GetTask, ListTasks, ListOperations…) answer UNIMPLEMENTED.
  server.addService(definition.batch, batchService);
  server.addService(definition.operations, operationsService);
  await new Promise<void>((resolve, reject) =>
    server.bindAsync(`${host}:${opts.port}`, grpc.ServerCredentials.createInsecure(), (error) =>
      error
        ? reject(new StartupError(`the ${NAME} could not listen on ${host}:${opts.port}: ${error.message}`))
        : resolve(),
    ),
  );

  return {
    endpoint: host,
    port: opts.port,
    calls,
    jobs: () => structuredClone(records),
    setState(jobName, state, exitCode) {
      const record = live(jobName);
      if (!record) throw new Error(`${NAME}: no job named ${jobName}`);
      changeState(record, state, exitCode);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        // A client that never closed its channel must not keep the test waiting.
        const force = setTimeout(() => server.forceShutdown(), 2_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** The job as GetJob answers: what was sent, plus the fields Batch fills in. */
function served(record: TFakeJob): TJob {
  const created = record.statusEvents[0]?.eventTime as TTimestamp | undefined;
  const updated = record.statusEvents.at(-1)?.eventTime as TTimestamp | undefined;
  const job = structuredClone(record.job);
  return {
    ...job,
    name: record.name,
    uid: record.uid,
    taskGroups: job.taskGroups?.map((group, i) => ({ ...group, name: `${record.name}/taskGroups/group${i}` })),
    status: { state: record.state, statusEvents: structuredClone(record.statusEvents) } as TJob["status"],
    createTime: created as TJob["createTime"],
    updateTime: updated as TJob["updateTime"],
  };
}

function now(): TTimestamp {
  const ms = Date.now();
  return { seconds: String(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/**
 * Google's Batch v1 protos as published in @google-cloud/batch (google/api, google/longrunning
 * and google/rpc come from the google-gax that package depends on). The decoding options keep what
 * the client sent recognisable: unset fields stay absent, enums are names, int64 are strings.
 */
function loadBatchProtos(): { batch: grpc.ServiceDefinition; operations: grpc.ServiceDefinition } {
  const require = createRequire(import.meta.url);
  // Resolve the package's main and walk up: subpath resolution may be blocked by `exports`.
  const batchMain = require.resolve("@google-cloud/batch");
  const batchRoot = packageRoot(batchMain);
  const gaxRoot = packageRoot(createRequire(batchMain).resolve("google-gax"));
  const includeDirs = [join(batchRoot, "build", "protos"), join(gaxRoot, "build", "protos")];
  const definition = protoLoader.loadSync("google/cloud/batch/v1/batch.proto", {
    includeDirs,
    keepCase: false,
    longs: String,
    enums: String,
    defaults: false,
    // No virtual oneof-case fields (`executable: "container"`…): only what was on the wire.
    oneofs: false,
  });
  const batch = definition["google.cloud.batch.v1.BatchService"];
  const operations = definition["google.longrunning.Operations"];
  if (!batch || !operations)
    throw new StartupError(
      `the ${NAME} could not find BatchService and Operations in the protos under ${includeDirs.join(", ")}`,
    );
  return { batch: batch as grpc.ServiceDefinition, operations: operations as grpc.ServiceDefinition };
}

function packageRoot(entry: string): string {
  for (let dir = dirname(entry); dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "build", "protos"))) return dir;
  }
  throw new StartupError(`the ${NAME} could not find the package (with build/protos) containing ${entry}`);
}
