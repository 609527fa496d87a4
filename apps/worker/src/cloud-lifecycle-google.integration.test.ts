import { createRequire } from "node:module";
import { randomUUID } from "node:crypto";
import { SecretManagerServiceClient } from "@google-cloud/secret-manager";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, getComputeEnvById, listAuditEvents } from "@lockstep/db";
import { HEAD_CONFIG_VAR, HEAD_EXTENSION_VAR, NEXTFLOW_VERSION, SECRETS_MANIFEST_VAR } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import {
  ensureGcpSecretManagerEmulator,
  freePort,
  GCP_SM_EMULATOR_NAME,
  startFakeGoogleBatch,
  startGcpSecretManagerEmulator,
  type TStartedFakeGoogleBatch,
  type TStartedGcpSecretManagerEmulator,
} from "@lockstep/devstack";
import type { TRuntime } from "./runtime";
import { settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/**
 * Google cloud runs end to end: the API launches on a google-batch compute environment, the worker
 * creates one Secret Manager secret per run secret in a real emulator (gcp-secret-manager-emulator,
 * the official client over gRPC) and creates the head job on the FAKE Google Batch server from
 * @lockstep/devstack (no Batch emulator exists; the fake speaks Batch's gRPC protocol to the
 * official client, but runs nothing). The test moves the fake job through its states the way
 * Batch would, and checks what the head container would read: NXF_GOOGLE_SECRET_VARS resolved
 * against the emulator.
 */
const projectId = "lockstep-test";
const region = "europe-west4";
const logLines: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queuePrefix = `it-gcloud-${randomUUID().slice(0, 8)}`;
const queues = createQueues(producer, queuePrefix);
const keys = await testKeys("google");
let sm: TStartedGcpSecretManagerEmulator;
let batch: TStartedFakeGoogleBatch;
let direct: SecretManagerServiceClient;
let workers: TWorkers;

beforeAll(async () => {
  sm = await startGcpSecretManagerEmulator({
    port: await freePort(),
    emulator: await ensureGcpSecretManagerEmulator(),
  });
  batch = await startFakeGoogleBatch({ port: await freePort() });
  // The client library's own grpc, for plain-text channels to the emulator.
  const grpc = createRequire(createRequire(import.meta.url).resolve("@google-cloud/secret-manager"))("google-gax")
    .grpc as {
    credentials: {
      createInsecure(): NonNullable<ConstructorParameters<typeof SecretManagerServiceClient>[0]>["sslCreds"];
    };
  };
  direct = new SecretManagerServiceClient({
    apiEndpoint: sm.host,
    port: sm.port,
    sslCreds: grpc.credentials.createInsecure(),
    universeDomain: "googleapis.com",
  });
  const runtime: TRuntime = {
    baseEnv: {},
    monitorIntervalMs: 300,
    nextflowLib: () => Promise.reject(new Error("a cloud run must not start Nextflow on the worker")),
    // The wire is what matters here; the real jar with the real Nextflow: packages/launcher/src/nf-lockstep.integration.test.ts.
    nfLockstepJar: async () => Buffer.from("stand-in nf-lockstep jar"),
    cloud: {
      googleSecretManager: { host: sm.host, port: sm.port },
      googleBatch: { host: batch.endpoint, port: batch.port },
    },
  };
  workers = startWorkers({ db, keys, queues, runtime, connection: redis, prefix: queuePrefix, logger, concurrency: 4 });
}, 600_000);

afterAll(async () => {
  await workers?.close();
  await queues.close();
  await direct?.close();
  await batch?.stop();
  await sm?.stop();
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
});

async function setup() {
  const { ws, asOwner, asLauncher, values } = await workspaceWithSecrets({ db, redis: producer, queues, keys });
  const serviceAccountKey = {
    type: "service_account",
    project_id: projectId,
    private_key: `key-MARKER-${randomUUID()}`,
    client_email: `lockstep@${projectId}.iam.gserviceaccount.com`,
  };
  const cred = await asOwner.credentials.create({
    workspaceId: ws.id,
    name: "gcp",
    provider: "google",
    value: { plain: JSON.stringify(serviceAccountKey) },
  });
  const prefix = `lst-${randomUUID().slice(0, 8)}-`;
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: {
      kind: "google-batch",
      name: "Google Batch",
      workDir: "gs://lockstep-it-bucket/runs",
      nextflowVersion: NEXTFLOW_VERSION,
      config: {
        projectId,
        region,
        serviceAccount: `runner@${projectId}.iam.gserviceaccount.com`,
        secretPrefix: prefix,
        credentialId: cred.id,
      },
    },
  });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "hello", repository: "https://github.com/nextflow-io/hello", defaultComputeEnvId: ce.id },
  });
  return { ws, asOwner, asLauncher, ce, values: { ...values, key: serviceAccountKey.private_key }, pipeline, prefix };
}

const jobName = (runId: string) => `projects/${projectId}/locations/${region}/jobs/lockstep-${runId}`;
const jobOf = (runId: string) => batch.jobs().find((j) => j.name === jobName(runId) && !j.deleted);

async function secretIdsOfRun(runId: string): Promise<string[]> {
  const [secrets] = await direct.listSecrets({ parent: `projects/${projectId}` });
  return secrets.filter((s) => s.labels?.["lockstep-run"] === runId).map((s) => s.name!.split("/secrets/")[1]!);
}

describe(`cloud run lifecycle (Google Batch fake + ${GCP_SM_EMULATOR_NAME})`, () => {
  it(
    "the head job finds every secret through NXF_GOOGLE_SECRET_VARS; they are deleted when it succeeds",
    { timeout: 120_000 },
    async () => {
      const { ws, asLauncher, values, pipeline, prefix } = await setup();
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
      const running = await waitForRun(db, launched.id, (r) => r.status === "RUNNING");
      expect(running.executorRef).toBe(jobName(running.id));

      const job = jobOf(running.id)!;
      const runnable = job.job.taskGroups![0]!.taskSpec!.runnables![0]!;
      expect(runnable.container?.imageUri).toBe(`nextflow/nextflow:${NEXTFLOW_VERSION}`);
      expect(job.job.allocationPolicy?.serviceAccount?.email).toBe(`runner@${projectId}.iam.gserviceaccount.com`);
      const env = job.job.taskGroups![0]!.taskSpec!.environment!.variables!;
      expect(env.GOOGLE_CLOUD_PROJECT).toBe(projectId);
      expect(Buffer.from(env[HEAD_CONFIG_VAR]!, "base64").toString("utf8")).toContain(
        "process.executor = 'google-batch'",
      );
      expect(runnable.container?.commands?.slice(3, 7)).toEqual([
        "lockstep-head",
        "run",
        "https://github.com/nextflow-io/hello",
        "-name",
      ]);

      // What Nextflow in the head container does: read each variable's secret version.
      const vars = JSON.parse(Buffer.from(env.NXF_GOOGLE_SECRET_VARS!, "base64").toString("utf8")) as Record<
        string,
        string
      >;
      const resolved: Record<string, string> = {};
      for (const [name, version] of Object.entries(vars)) {
        expect(version).toBe(`projects/${projectId}/secrets/${prefix}${running.id}-${name}/versions/latest`);
        const [access] = await direct.accessSecretVersion({ name: version });
        resolved[name] = Buffer.from(access.payload!.data!).toString("utf8");
      }
      expect(resolved).toEqual({ DB_PASSWORD: values.db, API_TOKEN: values.userToken });
      // What nf-lockstep in the head (and each task) reads: the manifest's version names, built from the provider's bindings.
      expect(Buffer.from(env[HEAD_EXTENSION_VAR]!, "base64").toString("utf8")).toBe("stand-in nf-lockstep jar");
      const manifest = JSON.parse(Buffer.from(env[SECRETS_MANIFEST_VAR]!, "base64").toString("utf8")) as {
        store: string;
        secrets: Record<string, string>;
      };
      expect(manifest.store).toBe("google-secret-manager");
      expect(manifest.secrets).toEqual(vars);

      batch.setState(job.name, "RUNNING");
      batch.setState(job.name, "SUCCEEDED");
      const run = await waitForRun(db, launched.id, settled);
      expect([run.status, run.secretsState, run.exitCode]).toEqual(["SUCCEEDED", "DELETED", 0]);
      expect(await secretIdsOfRun(run.id)).toEqual([]);

      const everywhere = [
        logLines.join("\n"),
        JSON.stringify(run),
        JSON.stringify(batch.jobs()),
        JSON.stringify(await listAuditEvents(db, { workspaceId: ws.id, limit: 50 })),
      ].join("\n");
      for (const v of Object.values(values)) expect(everywhere).not.toContain(v);
    },
  );

  it(
    "a task exit code of 3 ends the run FAILED with that code, its secrets deleted",
    { timeout: 120_000 },
    async () => {
      const { ws, asLauncher, pipeline } = await setup();
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
      const running = await waitForRun(db, launched.id, (r) => r.status === "RUNNING");
      expect((await secretIdsOfRun(running.id)).length).toBe(2);
      batch.setState(jobName(running.id), "FAILED", 3);
      const run = await waitForRun(db, launched.id, settled);
      expect([run.status, run.secretsState, run.exitCode]).toEqual(["FAILED", "DELETED", 3]);
      expect(await secretIdsOfRun(run.id)).toEqual([]);
    },
  );

  it("cancelling cancels the Batch job and deletes the secrets", { timeout: 120_000 }, async () => {
    const { ws, asLauncher, pipeline } = await setup();
    const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
    await waitForRun(db, launched.id, (r) => r.status === "RUNNING");
    const cancelsBefore = batch.calls.filter((c) => c === "CancelJob").length;
    await asLauncher.runs.cancel({ workspaceId: ws.id, runId: launched.id });
    const run = await waitForRun(db, launched.id, settled);
    expect([run.status, run.secretsState]).toEqual(["CANCELLED", "DELETED"]);
    expect(batch.calls.filter((c) => c === "CancelJob").length).toBe(cancelsBefore + 1);
    expect(jobOf(run.id)?.state).toBe("CANCELLED");
    expect(await secretIdsOfRun(run.id)).toEqual([]);
  });

  it("Check connection lists the managed secrets and asks Batch for the location", { timeout: 60_000 }, async () => {
    const { ws, asOwner, ce } = await setup();
    const listJobsBefore = batch.calls.filter((c) => c === "ListJobs").length;
    await asOwner.computeEnvs.check({ workspaceId: ws.id, computeEnvId: ce.id });
    const deadline = Date.now() + 30_000;
    let row = await getComputeEnvById(db, ce.id);
    while (!(row?.checkedAt && row.checkRequestedAt && row.checkedAt >= row.checkRequestedAt)) {
      if (Date.now() > deadline) throw new Error("the check did not finish");
      await new Promise((r) => setTimeout(r, 200));
      row = await getComputeEnvById(db, ce.id);
    }
    expect([row.checkOk, row.checkMessage]).toEqual([
      true,
      `Secret Manager and Batch in ${projectId}/${region} reachable`,
    ]);
    expect(batch.calls.filter((c) => c === "ListJobs").length).toBe(listJobsBefore + 1);
  });
});
