import { randomUUID } from "node:crypto";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, eq, listAuditEvents, schema, sql } from "@lockstep/db";
import {
  HEAD_CONFIG_VAR,
  HEAD_EXTENSION_VAR,
  HEAD_PARAMS_VAR,
  NEXTFLOW_VERSION,
  SECRETS_MANIFEST_VAR,
} from "@lockstep/launcher";
import { createQueues, createRedis, enqueue } from "@lockstep/queue";
import { awsSecretsManagerProvider } from "@lockstep/secrets";
import {
  ensureMoto,
  freePort,
  prepareMotoBatch,
  startFaultProxy,
  startMoto,
  type TFaultProxy,
  type TStartedMoto,
} from "@lockstep/devstack";
import type { TRuntime } from "./runtime";
import { pipelinesRoot, settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/**
 * Cloud runs end to end against moto: the API launches on an aws-batch compute environment, the
 * worker opens the workspace's AWS credentials, creates one Secrets Manager secret per run secret,
 * registers a per-run Batch job definition naming their ARNs and submits it; moto's simple Batch
 * backend ends the job at once (SUCCEEDED, or FAILED on the server started with
 * MOTO_SIMPLE_BATCH_FAIL_AFTER=0) and the worker deletes every secret.
 *
 * What ECS would do at container start — resolve each `secrets[].valueFrom` with the execution
 * role — is done here by a proxy between the worker and moto: when SubmitJob arrives it reads
 * every ARN of the job definition from moto, so the test sees exactly the values the head
 * container would get. Neither a container nor Nextflow runs (that needs real AWS; docs/aws.md).
 */
const region = "eu-west-1";
const logLines: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const keys = await testKeys("aws");

/** One moto, a spying proxy in front of it, and a worker that talks to the proxy. */
type TCloud = {
  moto: TStartedMoto;
  proxy: TFaultProxy;
  jobQueue: string;
  executionRoleArn: string;
  prefix: string;
  queues: ReturnType<typeof createQueues>;
  workers: TWorkers;
  /** Request bodies of the Batch and STS calls (no secret values travel in these). */
  controlPlane: Array<{ operation: string; body: string }>;
  /** Per job definition name: what each secret ARN resolved to when SubmitJob arrived. */
  resolvedAtSubmit: Map<string, Record<string, string>>;
};
let ok: TCloud;
let failing: TCloud;

async function startCloud(env: Record<string, string> = {}): Promise<TCloud> {
  const moto = await startMoto({ port: await freePort(), moto: await ensureMoto(), env });
  const name = `lst-${randomUUID().slice(0, 8)}`;
  const { jobQueue, executionRoleArn } = await prepareMotoBatch(moto.endpoint, { region, name });
  const controlPlane: TCloud["controlPlane"] = [];
  const resolvedAtSubmit = new Map<string, Record<string, string>>();
  const definitions = new Map<string, Array<{ name: string; valueFrom: string }>>();
  const proxy = await startFaultProxy({
    target: moto.endpoint,
    failureRate: 0,
    async observe(operation, body) {
      const text = body.toString("utf8");
      if (operation.startsWith("POST /v1/") || text.includes("Action=AssumeRole"))
        controlPlane.push({ operation, body: text });
      if (operation === "POST /v1/registerjobdefinition") {
        const def = JSON.parse(text) as {
          jobDefinitionName: string;
          containerProperties: { secrets?: Array<{ name: string; valueFrom: string }> };
        };
        definitions.set(def.jobDefinitionName, def.containerProperties.secrets ?? []);
      }
      if (operation === "POST /v1/submitjob") {
        // What ECS does at container start: GetSecretValue on each valueFrom.
        const { jobName } = JSON.parse(text) as { jobName: string };
        // What nf-lockstep in the head does for a task that declares secrets (no head runs here):
        // a job definition named after the run, with the same ARNs.
        const secrets = definitions.get(jobName) ?? [];
        if (/^lockstep-[0-9a-f-]{36}$/.test(jobName) && secrets.length > 0)
          await registerTaskDefinition(moto.endpoint, `${jobName}-${TASK_HASH}`, secrets, executionRoleArn);
        const values: Record<string, string> = {};
        for (const secret of definitions.get(jobName) ?? [])
          values[secret.name] = await getSecretValue(moto.endpoint, secret.valueFrom);
        resolvedAtSubmit.set(jobName, values);
      }
    },
  });
  const queuePrefix = `it-cloud-${randomUUID().slice(0, 8)}`;
  const queues = createQueues(producer, queuePrefix);
  const runtime: TRuntime = {
    baseEnv: {},
    monitorIntervalMs: 300,
    nextflowLib: () => Promise.reject(new Error("a cloud run must not start Nextflow on the worker")),
    // The wire is what matters here; the real jar with the real Nextflow: packages/launcher/src/nf-lockstep.integration.test.ts.
    nfLockstepJar: async () => Buffer.from("stand-in nf-lockstep jar"),
    cloud: { awsEndpoint: proxy.endpoint, awsRetryBaseDelayMs: 20 },
  };
  const workers = startWorkers({
    db,
    keys,
    queues,
    runtime,
    connection: redis,
    prefix: queuePrefix,
    logger,
    concurrency: 4,
  });
  return {
    moto,
    proxy,
    jobQueue,
    executionRoleArn,
    prefix: `${name}/`,
    queues,
    workers,
    controlPlane,
    resolvedAtSubmit,
  };
}

/** The hash part of the task job definition the proxy registers for each head, as nf-lockstep would. */
const TASK_HASH = "0123456789abcdef";

async function registerTaskDefinition(
  endpoint: string,
  name: string,
  secrets: Array<{ name: string; valueFrom: string }>,
  executionRoleArn: string,
) {
  const response = await fetch(`${endpoint}/v1/registerjobdefinition`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${region}/batch/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({
      jobDefinitionName: name,
      type: "container",
      containerProperties: {
        image: "quay.io/lockstep/tool:1.0",
        command: ["true"],
        resourceRequirements: [
          { type: "VCPU", value: "1" },
          { type: "MEMORY", value: "1024" },
        ],
        secrets,
        executionRoleArn,
      },
    }),
  });
  if (response.status !== 200) throw new Error(`moto refused ${name}: HTTP ${response.status}`);
}

async function getSecretValue(endpoint: string, secretId: string): Promise<string> {
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": "secretsmanager.GetSecretValue",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${region}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ SecretId: secretId }),
  });
  const json = (await response.json()) as { SecretString?: string; __type?: string };
  return json.SecretString ?? `<${json.__type ?? response.status}>`;
}

beforeAll(async () => {
  // The worker's own AWS identity (an instance role in production) is what assumes a workspace's role.
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  [ok, failing] = await Promise.all([startCloud(), startCloud({ MOTO_SIMPLE_BATCH_FAIL_AFTER: "0" })]);
}, 300_000);

afterAll(async () => {
  for (const cloud of [ok, failing]) {
    if (!cloud) continue;
    await cloud.workers.close();
    await cloud.queues.close();
    await cloud.proxy.stop();
    await cloud.moto.stop();
  }
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
});

async function setup(
  cloud: TCloud,
  credential: object = {
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
  },
) {
  const { ws, asOwner, asLauncher, values } = await workspaceWithSecrets({
    db,
    redis: producer,
    queues: cloud.queues,
    keys,
  });
  const cred = await asOwner.credentials.create({
    workspaceId: ws.id,
    name: "aws",
    provider: "aws",
    value: { plain: JSON.stringify(credential) },
  });
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: {
      kind: "aws-batch",
      name: "AWS Batch",
      workDir: "s3://lockstep-it-bucket/runs",
      nextflowVersion: NEXTFLOW_VERSION,
      env: { NXF_SINGULARITY_CACHEDIR: "/scratch/images" },
      config: {
        region,
        jobQueue: cloud.jobQueue,
        executionRoleArn: cloud.executionRoleArn,
        headImage: "public.ecr.aws/seqera-labs/nextflow:24.10.8",
        secretPrefix: cloud.prefix,
        credentialId: cred.id,
      },
    },
  });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: {
      name: "hello",
      repository: "https://github.com/nextflow-io/hello",
      revision: "master",
      defaultComputeEnvId: ce.id,
      defaultParams: { greeting: "hi there" },
    },
  });
  return { ws, ce, cred, asOwner, asLauncher, values, pipeline };
}

const waitFor = (runId: string, done: Parameters<typeof waitForRun>[2]) => waitForRun(db, runId, done);

/** What Secrets Manager holds under the cloud's prefix, read straight from moto. */
const managedIn = (cloud: TCloud) =>
  awsSecretsManagerProvider({
    region,
    prefix: cloud.prefix,
    endpoint: cloud.moto.endpoint,
    credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
  }).listManaged();

async function activeJobDefinitions(cloud: TCloud, name: string) {
  const response = await fetch(`${cloud.moto.endpoint}/v1/describejobdefinitions`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${region}/batch/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify({ jobDefinitionName: name, status: "ACTIVE" }),
  });
  return ((await response.json()) as { jobDefinitions: unknown[] }).jobDefinitions;
}

describe("cloud run lifecycle (AWS Batch + Secrets Manager on moto)", () => {
  it(
    "hands the run's secrets to the head job by ARN, then deletes them and the job definition",
    { timeout: 120_000 },
    async () => {
      const { ws, asLauncher, values, pipeline } = await setup(ok);
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
      const run = await waitFor(launched.id, settled);
      expect([run.status, run.secretsState, run.exitCode, run.errorMessage]).toEqual(["SUCCEEDED", "DELETED", 0, null]);
      const jobName = `lockstep-${run.id}`;

      // At submission each ARN resolved to the right value — the launcher's API_TOKEN over the workspace's.
      expect(ok.resolvedAtSubmit.get(jobName)).toEqual({ DB_PASSWORD: values.db, API_TOKEN: values.userToken });
      expect(run.secretBindings.map((b) => b.name).sort()).toEqual(["API_TOKEN", "DB_PASSWORD"]);
      for (const b of run.secretBindings)
        expect(b.location).toMatch(
          new RegExp(`^arn:aws:secretsmanager:${region}:\\d{12}:secret:${ok.prefix}${run.id}/${b.name}-`),
        );

      // The job definition: the execution role, the ARNs, Lockstep's flag, the head config, the command.
      const registered = ok.controlPlane.find(
        (c) => c.operation === "POST /v1/registerjobdefinition" && c.body.includes(jobName),
      )!;
      const def = JSON.parse(registered.body) as {
        containerProperties: {
          image: string;
          executionRoleArn: string;
          command: string[];
          environment: Array<{ name: string; value: string }>;
          secrets: Array<{ name: string; valueFrom: string }>;
        };
      };
      expect(def.containerProperties.executionRoleArn).toBe(ok.executionRoleArn);
      expect(def.containerProperties.image).toBe("public.ecr.aws/seqera-labs/nextflow:24.10.8");
      expect(def.containerProperties.secrets).toEqual(
        run.secretBindings.map((b) => ({ name: b.name, valueFrom: b.location })),
      );
      const env = Object.fromEntries(def.containerProperties.environment.map((e) => [e.name, e.value]));
      expect(env).toMatchObject({
        NXF_ENABLE_SECRETS: "true",
        NXF_SINGULARITY_CACHEDIR: "/scratch/images",
        NXF_ANSI_LOG: "false",
      });
      expect(Buffer.from(env[HEAD_CONFIG_VAR]!, "base64").toString("utf8")).toBe(
        `process.executor = 'awsbatch'\nprocess.queue = '${ok.jobQueue}'\naws.region = '${region}'\n`,
      );
      // nf-lockstep in the head reads the same ARNs the job definition names, from a manifest of references.
      expect(Buffer.from(env[HEAD_EXTENSION_VAR]!, "base64").toString("utf8")).toBe("stand-in nf-lockstep jar");
      expect(JSON.parse(Buffer.from(env[SECRETS_MANIFEST_VAR]!, "base64").toString("utf8"))).toEqual({
        v: 1,
        store: "aws-secrets-manager",
        region,
        runId: run.id,
        executionRoleArn: ok.executionRoleArn,
        secrets: Object.fromEntries(run.secretBindings.map((b) => [b.name, b.location])),
      });
      const command = def.containerProperties.command;
      expect(command.slice(0, 2)).toEqual(["bash", "-c"]);
      expect(command.slice(3)).toEqual([
        "lockstep-head",
        "run",
        "https://github.com/nextflow-io/hello",
        "-name",
        `lockstep-${run.id.slice(0, 8)}`,
        "-work-dir",
        `s3://lockstep-it-bucket/runs/${run.id}/work`,
        "-r",
        "master",
        "-with-trace",
        `s3://lockstep-it-bucket/runs/${run.id}/trace.tsv`,
        "-ansi-log",
        "false",
      ]);
      // Params are never arguments: the head's prologue writes them to a 0600 -params-file.
      expect(JSON.parse(Buffer.from(env[HEAD_PARAMS_VAR]!, "base64").toString("utf8"))).toEqual({
        greeting: "hi there",
      });
      expect(run.runDir).toBe(`s3://lockstep-it-bucket/runs/${run.id}`);
      expect(run.executorRef).toMatch(/^[0-9a-f-]{36}$/);

      // Nothing is left: no secret under the prefix, no active job definition — the head's nor the
      // one registered for its tasks (which existed: the proxy registered it at SubmitJob).
      expect((await managedIn(ok)).filter((c) => c.runId === run.id)).toEqual([]);
      expect(await activeJobDefinitions(ok, jobName)).toEqual([]);
      const deregistered = ok.controlPlane.filter(
        (c) => c.operation === "POST /v1/deregisterjobdefinition" && c.body.includes(`${jobName}-${TASK_HASH}`),
      );
      expect(deregistered.length).toBeGreaterThan(0);
      expect(await activeJobDefinitions(ok, `${jobName}-${TASK_HASH}`)).toEqual([]);
      const actions = (await listAuditEvents(db, { workspaceId: ws.id, limit: 50 })).map((e) => e.action);
      expect(actions).toEqual(
        expect.arrayContaining([
          "run.launched",
          "secrets.provisioned",
          "run.started",
          "run.finished",
          "secrets.deleted",
        ]),
      );

      // No value anywhere Lockstep writes or sends besides Secrets Manager itself.
      const everywhere = [
        logLines.join("\n"),
        JSON.stringify(run),
        JSON.stringify(await listAuditEvents(db, { workspaceId: ws.id, limit: 50 })),
        JSON.stringify(ok.controlPlane),
      ].join("\n");
      for (const v of Object.values(values)) expect(everywhere).not.toContain(v);
    },
  );

  it("a head job that fails ends FAILED with every secret deleted", { timeout: 120_000 }, async () => {
    const { ws, asLauncher, pipeline } = await setup(failing);
    const run = await waitFor(
      (await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })).id,
      settled,
    );
    expect([run.status, run.secretsState]).toEqual(["FAILED", "DELETED"]);
    expect(run.exitCode).not.toBe(0);
    expect(failing.resolvedAtSubmit.get(`lockstep-${run.id}`)).toHaveProperty("DB_PASSWORD");
    expect((await managedIn(failing)).filter((c) => c.runId === run.id)).toEqual([]);
  });

  it("assumes a workspace's role through STS, with its external id", { timeout: 120_000 }, async () => {
    const roleArn = "arn:aws:iam::123456789012:role/lockstep-workspace";
    const { ws, asLauncher, values, pipeline } = await setup(ok, { roleArn, externalId: "ext-1234" });
    const before = ok.controlPlane.filter((c) => c.body.includes("Action=AssumeRole")).length;
    const run = await waitFor(
      (await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })).id,
      settled,
    );
    expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
    expect(ok.resolvedAtSubmit.get(`lockstep-${run.id}`)).toEqual({
      DB_PASSWORD: values.db,
      API_TOKEN: values.userToken,
    });
    const assumed = ok.controlPlane.filter((c) => c.body.includes("Action=AssumeRole")).slice(before);
    expect(assumed.length).toBeGreaterThan(0);
    const params = new URLSearchParams(assumed[0]!.body);
    expect([params.get("RoleArn"), params.get("ExternalId")]).toEqual([roleArn, "ext-1234"]);
    expect(params.get("RoleSessionName")).toMatch(/^lockstep-worker-/);
  });

  it("the sweeper deletes cloud copies of a run the database does not know", { timeout: 120_000 }, async () => {
    await setup(ok); // a compute environment on this prefix, so the sweeper looks there
    const stray = { runId: randomUUID(), workspaceId: randomUUID() };
    const provider = awsSecretsManagerProvider({
      region,
      prefix: ok.prefix,
      endpoint: ok.moto.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    await provider.provision(stray, [{ name: "LEFT_BEHIND", value: `stray-MARKER-${randomUUID()}` }]);
    expect((await managedIn(ok)).map((c) => c.runId)).toContain(stray.runId);
    await enqueue(ok.queues, "runs.sweep", { requestedBy: "test", nonce: randomUUID() });
    const deadline = Date.now() + 30_000;
    while ((await managedIn(ok)).some((c) => c.runId === stray.runId)) {
      if (Date.now() > deadline) throw new Error("the sweeper left the stray secret in place");
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  it(
    "an environment whose stored settings do not fit its kind is reported, and the sweep of the others goes on",
    { timeout: 120_000 },
    async () => {
      await setup(ok); // a sound environment on this prefix, whose sweep must still happen
      const { ce } = await setup(ok);
      const stray = { runId: randomUUID(), workspaceId: randomUUID() };
      await awsSecretsManagerProvider({
        region,
        prefix: ok.prefix,
        endpoint: ok.moto.endpoint,
        credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
      }).provision(stray, [{ name: "LEFT_BEHIND", value: `stray-MARKER-${randomUUID()}` }]);
      // Behind the API's back (a hand edit, a bug): the region no longer fits AWS Batch.
      await db
        .update(schema.computeEnvs)
        .set({ config: sql`jsonb_set(${schema.computeEnvs.config}, '{region}', '"Europe"'::jsonb)` })
        .where(eq(schema.computeEnvs.id, ce.id));
      try {
        const job = await enqueue(ok.queues, "runs.sweep", { requestedBy: "test", nonce: randomUUID() });
        const deadline = Date.now() + 60_000;
        let state = await job.getState();
        while (state !== "completed" && state !== "failed") {
          if (Date.now() > deadline) throw new Error(`the sweep did not end (${state})`);
          await new Promise((r) => setTimeout(r, 250));
          state = await job.getState();
        }
        const done = await ok.queues.get("system").getJob(job.id!);
        // The broken row is one unreachable store; it did not fail the pass (a thrown row would).
        expect([state, done?.failedReason ?? null]).toEqual(["completed", null]);
        expect((done?.returnvalue as { unreachable: number }).unreachable).toBeGreaterThanOrEqual(1);
        expect((await managedIn(ok)).map((c) => c.runId)).not.toContain(stray.runId);
      } finally {
        await db.delete(schema.computeEnvs).where(eq(schema.computeEnvs.id, ce.id));
      }
    },
  );

  it(
    "the sweeper deregisters job definitions left by an ended run, and leaves a run it does not know alone",
    { timeout: 120_000 },
    async () => {
      const { ws, asLauncher, pipeline } = await setup(ok);
      const run = await waitFor(
        (await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })).id,
        settled,
      );
      expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
      // As if a head had registered a task definition after cleanup looked (or cleanup's release had failed).
      const left = `lockstep-${run.id}-fedcba9876543210`;
      const secrets = run.secretBindings.map((b) => ({ name: b.name, valueFrom: b.location }));
      await registerTaskDefinition(ok.moto.endpoint, left, secrets, ok.executionRoleArn);
      const foreign = `lockstep-${randomUUID()}-fedcba9876543210`;
      await registerTaskDefinition(ok.moto.endpoint, foreign, secrets, ok.executionRoleArn);
      expect(await activeJobDefinitions(ok, left)).toHaveLength(1);
      await enqueue(ok.queues, "runs.sweep", { requestedBy: "test", nonce: randomUUID() });
      const deadline = Date.now() + 30_000;
      while ((await activeJobDefinitions(ok, left)).length > 0) {
        if (Date.now() > deadline) throw new Error("the sweeper left the ended run's job definition in place");
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(await activeJobDefinitions(ok, foreign)).toHaveLength(1);
    },
  );

  it("refuses a pipeline given as a local path: the head runs in the cloud", async () => {
    const { ws, asOwner, asLauncher, ce } = await setup(ok);
    const local = await asOwner.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name: "local", repository: join(pipelinesRoot, "sleeps"), defaultComputeEnvId: ce.id },
    });
    await expect(asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: local.id })).rejects.toThrow(
      /^computeEnvId: AWS Batch runs pipelines in the cloud; the pipeline's repository must be an https:\/\/ URL/,
    );
  });
});
