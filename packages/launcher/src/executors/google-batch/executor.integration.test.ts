import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startFakeGoogleBatch, type TFakeJob, type TStartedFakeGoogleBatch } from "@lockstep/devstack";
import { HEAD_CONFIG_VAR, HEAD_EXTENSION_VAR, HEAD_PARAMS_VAR } from "../../cloud-head";
import { SECRETS_MANIFEST_VAR } from "../../nf-lockstep";
import { executorContract } from "../../contract";
import { ExecutorError, type TExecutor, type TRunLaunch } from "../../executor";
import { googleBatchExecutor, type TGoogleBatchConfig } from "./executor";

/**
 * The head job against the devstack's FAKE Google Batch server (Google ships no Batch emulator):
 * the official client talks real gRPC to a server built from Google's published protos, so this
 * checks what Lockstep sends and how it reads the answers — the job spec as it arrives on the
 * wire, ALREADY_EXISTS / NOT_FOUND handling, the state mapping. Job states are set by the test;
 * no VM or container runs, so that the head job really starts and reads its secrets needs real
 * Google Cloud (docs/google.md).
 */
const projectId = "lockstep-test";
const region = "europe-west4";
const serviceAccount = "lockstep-head@lockstep-test.iam.gserviceaccount.com";
const image = "nextflow/nextflow:24.10.5";
let fake: TStartedFakeGoogleBatch;
let executor: TExecutor;
let closedPort: number;
const opened: TExecutor[] = [];

const connect = (extra: Partial<TGoogleBatchConfig> = {}) => {
  const made = googleBatchExecutor({
    projectId,
    region,
    serviceAccount,
    image,
    apiEndpoint: fake.endpoint,
    port: fake.port,
    insecure: true,
    ...extra,
  });
  opened.push(made);
  return made;
};
const jobName = (runId: string) => `projects/${projectId}/locations/${region}/jobs/lockstep-${runId}`;
const recorded = (runId: string): TFakeJob[] => fake.jobs().filter((j) => j.job.labels?.["lockstep-run"] === runId);
/** The methods the fake saw while `work` ran. */
async function callsDuring(work: () => Promise<unknown>): Promise<string[]> {
  const from = fake.calls.length;
  await work();
  return fake.calls.slice(from);
}

beforeAll(async () => {
  fake = await startFakeGoogleBatch({ port: await freePort() });
  closedPort = await freePort();
  executor = connect({ machineType: "n2-standard-4" });
});

afterAll(async () => {
  for (const made of opened) await made.close();
  await fake?.stop();
});

const runDirOf = (runId: string) => `gs://lockstep-it-bucket/runs/${runId}`;
const launch = (runId: string, extra: Partial<TRunLaunch> = {}): TRunLaunch => ({
  runId,
  runDir: runDirOf(runId),
  pipeline: "https://github.com/nextflow-io/hello",
  params: {},
  runName: `lockstep-${runId.slice(0, 8)}`,
  nextflowVersion: "24.10.8",
  env: {},
  secretsEnv: {},
  secretBindings: [],
  ...extra,
});
const head = (runId: string, ref: string) => ({ runId, runDir: runDirOf(runId), ref });

executorContract("google-batch (fake Google Batch)", async () => ({
  executor,
  runDir: runDirOf,
  launch: (run) => launch(run.runId),
  // What Batch does as the job runs: the fake is told.
  finish: async ({ ref }) => {
    fake.setState(ref, "RUNNING");
    fake.setState(ref, "SUCCEEDED", 0);
  },
  hold: (run) => launch(run.runId, { params: { seconds: 600 } }),
  headsOf: async (run) => recorded(run.runId).filter((j) => !j.deleted).length,
  unknownRef: () => jobName(randomUUID()),
  misconfigured: {
    executor: connect({ region: "Europe West 4" }),
    problem: /^Google Batch: region must be a Google Cloud location such as europe-west4$/,
  },
  unreachable: connect({ apiEndpoint: "127.0.0.1", port: closedPort, callTimeoutMs: 3_000 }),
  timeoutMs: 60_000,
}));

describe("google-batch head job (fake Google Batch)", () => {
  it("with nf-lockstep: the job spec as received carries the jar and a manifest of version names, never a value", async () => {
    const runId = randomUUID();
    const jar = Buffer.from(`stand-in jar ${randomUUID()}`);
    const withExt = connect({ nfLockstepJar: async () => jar });
    const secretBindings = ["DB_PASSWORD", "API_TOKEN"].map((n) => ({
      name: n,
      location: `projects/${projectId}/secrets/lockstep-${runId}-${n}`,
    }));
    await withExt.start(launch(runId, { secretBindings }));
    const variables = recorded(runId)[0]!.job.taskGroups![0]!.taskSpec!.environment!.variables!;
    expect(Buffer.from(variables[HEAD_EXTENSION_VAR]!, "base64")).toEqual(jar);
    expect(JSON.parse(Buffer.from(variables[SECRETS_MANIFEST_VAR]!, "base64").toString("utf8"))).toEqual({
      v: 1,
      store: "google-secret-manager",
      secrets: Object.fromEntries(secretBindings.map((b) => [b.name, `${b.location}/versions/latest`])),
    });
  });

  it("creates lockstep-<runId> with the image, command, environment, service account and no retries", async () => {
    const runId = randomUUID();
    const secretsEnv = {
      NXF_GOOGLE_SECRET_VARS: Buffer.from(
        JSON.stringify({ DB_PASSWORD: `projects/${projectId}/secrets/lockstep-${runId}-DB_PASSWORD/versions/latest` }),
      ).toString("base64"),
      GOOGLE_CLOUD_PROJECT: projectId,
    };
    let started: { ref: string } | undefined;
    const calls = await callsDuring(
      async () =>
        (started = await executor.start(
          launch(runId, {
            revision: "master",
            params: { greeting: "hi there" },
            env: { NXF_WORK: "gs://bucket/work" },
            secretsEnv,
          }),
        )),
    );
    expect(calls).toEqual(["CreateJob"]);
    expect(started).toEqual({ ref: jobName(runId) });

    const jobs = recorded(runId);
    expect(jobs).toHaveLength(1);
    const { name, parent, jobId, job, state } = jobs[0]!;
    expect({ name, parent, jobId, state }).toEqual({
      name: jobName(runId),
      parent: `projects/${projectId}/locations/${region}`,
      jobId: `lockstep-${runId}`,
      state: "QUEUED",
    });
    expect(job.labels).toEqual({ "lockstep-run": runId, "lockstep-managed": "true" });
    expect(job.taskGroups).toHaveLength(1);
    const group = job.taskGroups![0]!;
    expect(group.taskCount).toBe("1"); // int64 arrives as a decimal string
    const runnables = group.taskSpec?.runnables ?? [];
    const command = runnables[0]?.container?.commands ?? [];
    // No entrypoint override or anything else: the image and the command.
    expect(runnables).toEqual([{ container: { imageUri: image, commands: command } }]);
    expect(command.slice(0, 2)).toEqual(["bash", "-c"]);
    expect(command.slice(3)).toEqual([
      "lockstep-head",
      "run",
      "https://github.com/nextflow-io/hello",
      "-name",
      `lockstep-${runId.slice(0, 8)}`,
      "-work-dir",
      `${runDirOf(runId)}/work`,
      "-r",
      "master",
      "-with-trace",
      `${runDirOf(runId)}/trace.tsv`,
      "-ansi-log",
      "false",
    ]);
    const variables = group.taskSpec?.environment?.variables ?? {};
    // Params never ride on the command line: the prologue decodes them to a file for -params-file.
    expect(JSON.parse(Buffer.from(variables[HEAD_PARAMS_VAR]!, "base64").toString("utf8"))).toEqual({
      greeting: "hi there",
    });
    expect(variables).toEqual({
      NXF_WORK: "gs://bucket/work",
      ...secretsEnv,
      [HEAD_CONFIG_VAR]: variables[HEAD_CONFIG_VAR],
      [HEAD_PARAMS_VAR]: variables[HEAD_PARAMS_VAR],
      NXF_ANSI_LOG: "false",
      NXF_DISABLE_CHECK_LATEST: "true",
    });
    expect(Buffer.from(variables[HEAD_CONFIG_VAR]!, "base64").toString("utf8")).toBe(
      `process.executor = 'google-batch'\ngoogle.project = '${projectId}'\ngoogle.location = '${region}'\ngoogle.batch.serviceAccountEmail = '${serviceAccount}'\n`,
    );
    // proto3 does not put a zero int32 on the wire: "0" and "unset" arrive alike and both mean no
    // retry. This still fails if a retry count is ever sent.
    expect(group.taskSpec?.maxRetryCount ?? 0).toBe(0);
    expect(job.allocationPolicy).toEqual({
      serviceAccount: { email: serviceAccount },
      instances: [{ policy: { machineType: "n2-standard-4" } }],
    });
    expect(job.logsPolicy).toEqual({ destination: "CLOUD_LOGGING" });
  });

  it("start is idempotent: a retry gets the job already created, and no second one exists", async () => {
    const runId = randomUUID();
    const plain = connect(); // no machine type: the default
    const first = await plain.start(launch(runId));
    let again: { ref: string } | undefined;
    // The retry is refused by Batch (ALREADY_EXISTS) and then reads the existing job.
    expect(await callsDuring(async () => (again = await plain.start(launch(runId))))).toEqual(["CreateJob", "GetJob"]);
    expect(again).toEqual(first);
    expect(recorded(runId)).toHaveLength(1);
    expect(recorded(runId)[0]!.job.allocationPolicy?.instances).toEqual([{ policy: { machineType: "e2-standard-2" } }]);
  });

  it("maps Batch states: QUEUED and RUNNING run, SUCCEEDED is 0, FAILED carries the task's exit code", async () => {
    const ok = randomUUID();
    const { ref } = await executor.start(launch(ok));
    expect(
      await callsDuring(async () => expect(await executor.status(head(ok, ref))).toEqual({ state: "running" })),
    ).toEqual(["GetJob"]);
    fake.setState(ref, "RUNNING");
    expect(await executor.status(head(ok, ref))).toEqual({ state: "running" });
    fake.setState(ref, "SUCCEEDED", 0);
    expect(await executor.status(head(ok, ref))).toEqual({ state: "finished", exitCode: 0 });

    const failedRun = randomUUID();
    const failed = (await executor.start(launch(failedRun))).ref;
    fake.setState(failed, "RUNNING");
    fake.setState(failed, "FAILED", 3);
    expect(await executor.status(head(failedRun, failed))).toEqual({ state: "finished", exitCode: 3 });

    // FAILED without a task exit code (never started, VM lost): still a failure.
    const lostRun = randomUUID();
    const lost = (await executor.start(launch(lostRun))).ref;
    fake.setState(lost, "FAILED");
    expect(await executor.status(head(lostRun, lost))).toEqual({ state: "finished", exitCode: 1 });
  });

  it("cancel moves the job to CANCELLED without polling the operation; gone or ended jobs count as cancelled", async () => {
    const runId = randomUUID();
    const { ref } = await executor.start(launch(runId, { params: { seconds: 600 } }));
    expect(await callsDuring(() => executor.cancel(head(runId, ref)))).toEqual(["CancelJob"]);
    expect(recorded(runId)[0]!.state).toBe("CANCELLED");
    expect(await executor.status(head(runId, ref))).toEqual({ state: "finished", exitCode: 1 });

    const goneRun = randomUUID();
    await expect(executor.cancel(head(goneRun, jobName(goneRun)))).resolves.toBeUndefined();
    const doneRun = randomUUID();
    const done = (await executor.start(launch(doneRun))).ref;
    fake.setState(done, "SUCCEEDED");
    await expect(executor.cancel(head(doneRun, done))).resolves.toBeUndefined();
    expect(fake.jobs().find((j) => j.name === done)?.state).toBe("SUCCEEDED");
  });

  it("an unknown job is vanished", async () => {
    const runId = randomUUID();
    expect(await executor.status(head(runId, jobName(runId)))).toMatchObject({
      state: "vanished",
      detail: expect.stringContaining("unknown"),
    });
  });

  it("refuses, permanently, a bad environment name, a run id or a local pipeline path before calling Batch", async () => {
    const before = fake.calls.length;
    for (const [run, problem] of [
      [launch(randomUUID(), { env: { "NXF-WORK": "x" } }), /NXF-WORK is not a valid environment variable name/],
      [launch(randomUUID(), { runId: "../other" }), /UUID/],
      [launch(randomUUID(), { pipeline: "/srv/pipelines/hello" }), /must be an https:\/\/ repository/],
    ] as const) {
      const refused = await executor.start(run).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ExecutorError);
      expect((refused as ExecutorError).message).toMatch(problem);
      expect((refused as ExecutorError).retryable).toBe(false);
    }
    expect(fake.calls.length).toBe(before);
  });

  it("reports Batch's refusal with the call and the gRPC status, as permanent", async () => {
    const refused = await executor.status(head(randomUUID(), "jobs/not-a-resource-name")).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ExecutorError);
    expect((refused as ExecutorError).message).toMatch(
      /^Google Batch: GetJob jobs\/not-a-resource-name failed \(INVALID_ARGUMENT: /,
    );
    expect((refused as ExecutorError).retryable).toBe(false);
  });
});
