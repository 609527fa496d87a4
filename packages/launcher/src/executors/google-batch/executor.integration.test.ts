import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startFakeGoogleBatch, type TFakeJob, type TStartedFakeGoogleBatch } from "@lockstep/devstack";
import { googleBatchHeadJob, type TGoogleBatchConfig, type TGoogleBatchHeadJob } from "./executor";

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
let executor: TGoogleBatchHeadJob;
const opened: TGoogleBatchHeadJob[] = [];

const connect = (extra: Partial<TGoogleBatchConfig> = {}) => {
  const made = googleBatchHeadJob({ projectId, region, serviceAccount, image, apiEndpoint: fake.endpoint, port: fake.port, insecure: true, ...extra });
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
  executor = connect({ machineType: "n2-standard-4" });
});

afterAll(async () => {
  for (const made of opened) await made.close();
  await fake?.stop();
});

describe("google-batch head job (fake Google Batch)", () => {
  it("creates lockstep-<runId> with the image, command, environment, service account and no retries", async () => {
    const runId = randomUUID();
    const command = ["nextflow", "run", "nextflow-io/hello", "-with-trace"];
    const env = {
      NXF_GOOGLE_SECRET_VARS: Buffer.from(JSON.stringify({ DB_PASSWORD: `projects/${projectId}/secrets/lockstep-${runId}-DB_PASSWORD/versions/latest` })).toString("base64"),
      GOOGLE_CLOUD_PROJECT: projectId,
      NXF_WORK: "gs://bucket/work",
    };
    let started: { jobId: string } | undefined;
    expect(await callsDuring(async () => (started = await executor.start({ runId, env, command })))).toEqual(["CreateJob"]);
    expect(started).toEqual({ jobId: jobName(runId) });

    const jobs = recorded(runId);
    expect(jobs).toHaveLength(1);
    const { name, parent, jobId, job, state } = jobs[0]!;
    expect({ name, parent, jobId, state }).toEqual({ name: jobName(runId), parent: `projects/${projectId}/locations/${region}`, jobId: `lockstep-${runId}`, state: "QUEUED" });
    expect(job.labels).toEqual({ "lockstep-run": runId, "lockstep-managed": "true" });
    expect(job.taskGroups).toHaveLength(1);
    const group = job.taskGroups![0]!;
    expect(group.taskCount).toBe("1"); // int64 arrives as a decimal string
    expect(group.taskSpec?.runnables).toEqual([{ container: { imageUri: image, commands: command } }]);
    expect(group.taskSpec?.environment).toEqual({ variables: env });
    // proto3 does not put a zero int32 on the wire: "0" and "unset" arrive alike and both mean no
    // retry. This still fails if a retry count is ever sent.
    expect(group.taskSpec?.maxRetryCount ?? 0).toBe(0);
    expect(job.allocationPolicy).toEqual({ serviceAccount: { email: serviceAccount }, instances: [{ policy: { machineType: "n2-standard-4" } }] });
    expect(job.logsPolicy).toEqual({ destination: "CLOUD_LOGGING" });
  });

  it("start is idempotent: a retry gets the job already created, and no second one exists", async () => {
    const runId = randomUUID();
    const plain = connect(); // no machine type: the default
    const first = await plain.start({ runId, env: {}, command: ["true"] });
    let again: { jobId: string } | undefined;
    // The retry is refused by Batch (ALREADY_EXISTS) and then reads the existing job.
    expect(await callsDuring(async () => (again = await plain.start({ runId, env: {}, command: ["true"] })))).toEqual(["CreateJob", "GetJob"]);
    expect(again).toEqual(first);
    expect(recorded(runId)).toHaveLength(1);
    expect(recorded(runId)[0]!.job.allocationPolicy?.instances).toEqual([{ policy: { machineType: "e2-standard-2" } }]);
  });

  it("maps Batch states: QUEUED and RUNNING run, SUCCEEDED is 0, FAILED carries the task's exit code", async () => {
    const ok = randomUUID();
    const { jobId } = await executor.start({ runId: ok, env: {}, command: ["true"] });
    expect(await callsDuring(async () => expect(await executor.status(jobId)).toEqual({ state: "running" }))).toEqual(["GetJob"]);
    fake.setState(jobId, "RUNNING");
    expect(await executor.status(jobId)).toEqual({ state: "running" });
    fake.setState(jobId, "SUCCEEDED", 0);
    expect(await executor.status(jobId)).toEqual({ state: "finished", exitCode: 0 });

    const failed = (await executor.start({ runId: randomUUID(), env: {}, command: ["false"] })).jobId;
    fake.setState(failed, "RUNNING");
    fake.setState(failed, "FAILED", 3);
    expect(await executor.status(failed)).toEqual({ state: "finished", exitCode: 3 });

    // FAILED without a task exit code (never started, VM lost): still a failure.
    const lost = (await executor.start({ runId: randomUUID(), env: {}, command: ["true"] })).jobId;
    fake.setState(lost, "FAILED");
    expect(await executor.status(lost)).toEqual({ state: "finished", exitCode: 1 });
  });

  it("cancel moves the job to CANCELLED without polling the operation; gone or ended jobs count as cancelled", async () => {
    const runId = randomUUID();
    const { jobId } = await executor.start({ runId, env: {}, command: ["sleep", "600"] });
    expect(await callsDuring(() => executor.cancel(jobId))).toEqual(["CancelJob"]);
    expect(recorded(runId)[0]!.state).toBe("CANCELLED");
    expect(await executor.status(jobId)).toEqual({ state: "finished", exitCode: 1 });

    await expect(executor.cancel(jobName(randomUUID()))).resolves.toBeUndefined();
    const done = (await executor.start({ runId: randomUUID(), env: {}, command: ["true"] })).jobId;
    fake.setState(done, "SUCCEEDED");
    await expect(executor.cancel(done)).resolves.toBeUndefined();
    expect(fake.jobs().find((j) => j.name === done)?.state).toBe("SUCCEEDED");
  });

  it("an unknown job is vanished", async () => {
    expect(await executor.status(jobName(randomUUID()))).toMatchObject({ state: "vanished", detail: expect.stringContaining("unknown") });
  });

  it("refuses a bad environment name or run id before calling Batch", async () => {
    const before = fake.calls.length;
    await expect(executor.start({ runId: randomUUID(), env: { "NXF-WORK": "x" }, command: ["true"] })).rejects.toThrow(/NXF-WORK is not a valid environment variable name/);
    await expect(executor.start({ runId: "../other", env: {}, command: ["true"] })).rejects.toThrow(/UUID/);
    expect(fake.calls.length).toBe(before);
  });

  it("reports Batch's refusal with the call and the gRPC status", async () => {
    await expect(executor.status("jobs/not-a-resource-name")).rejects.toThrow(/^Google Batch: GetJob jobs\/not-a-resource-name failed \(INVALID_ARGUMENT: /);
  });
});
