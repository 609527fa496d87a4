import { randomUUID } from "node:crypto";
import {
  BatchClient,
  DeregisterJobDefinitionCommand,
  DescribeJobDefinitionsCommand,
  RegisterJobDefinitionCommand,
  DescribeJobsCommand,
  ListJobsCommand,
} from "@aws-sdk/client-batch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMoto, freePort, MOTO_ACCOUNT, prepareMotoBatch, startMoto, type TStartedMoto } from "@lockstep/devstack";
import { HEAD_CONFIG_VAR, HEAD_EXTENSION_VAR, HEAD_PARAMS_VAR } from "../../cloud-head";
import { SECRETS_MANIFEST_VAR } from "../../nf-lockstep";
import { executorContract } from "../../contract";
import { ExecutorError, type TExecutor, type TRunLaunch } from "../../executor";
import { awsBatchExecutor, type TAwsBatchConfig } from "./executor";

/**
 * The head-job submission against moto's Batch API. moto records job definitions, queues and
 * jobs but does not run containers here: it is switched to its "simple" Batch backend, which
 * marks a submitted job SUCCEEDED at once instead of starting it in Docker. So this verifies what
 * Lockstep asks of Batch — the per-run job definition with the secret ARNs and the execution
 * role, the submission, the termination — not that ECS resolves the secrets; that needs real AWS
 * (docs/aws.md).
 */
const region = "us-east-1";
const credentials = { accessKeyId: "testing", secretAccessKey: "testing" };
const account = MOTO_ACCOUNT;
const image = "public.ecr.aws/seqera-labs/nextflow:24.10.5";
let moto: TStartedMoto;
let batch: BatchClient;
let executor: TExecutor;
let executionRoleArn: string;
let jobQueue: string;
let closedPort: number;
const made: TExecutor[] = [];

const connect = (extra: Partial<TAwsBatchConfig> = {}) => {
  const e = awsBatchExecutor({
    region,
    credentials,
    endpoint: moto.endpoint,
    jobQueue,
    executionRoleArn,
    image,
    ...extra,
  });
  made.push(e);
  return e;
};

beforeAll(async () => {
  moto = await startMoto({ port: await freePort(), moto: await ensureMoto() });
  const queue = await prepareMotoBatch(moto.endpoint, { region, name: `lockstep-it-${randomUUID().slice(0, 8)}` });
  executionRoleArn = queue.executionRoleArn;
  jobQueue = queue.jobQueue;
  closedPort = await freePort();
  batch = new BatchClient({ region, credentials, endpoint: moto.endpoint });
  executor = connect();
}, 300_000);

afterAll(async () => {
  for (const e of made) await e.close();
  batch?.destroy();
  await moto?.stop();
});

const runDirOf = (runId: string) => `s3://lockstep-it-bucket/runs/${runId}`;
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
async function jobsNamed(runId: string) {
  const listed = await batch.send(
    new ListJobsCommand({ jobQueue, filters: [{ name: "JOB_NAME", values: [`lockstep-${runId}`] }] }),
  );
  return (listed.jobSummaryList ?? []).filter((j) => j.jobName === `lockstep-${runId}`);
}

executorContract("aws-batch (moto)", async () => ({
  executor,
  runDir: runDirOf,
  launch: (run) => launch(run.runId),
  finish: async () => {}, // the simple backend ends every job at once
  headsOf: async (run) => (await jobsNamed(run.runId)).length,
  unknownRef: () => randomUUID(),
  misconfigured: {
    executor: connect({ jobQueue: "no-such-queue" }),
    problem: /^AWS Batch: job queue no-such-queue not found in us-east-1$/,
  },
  unreachable: connect({ endpoint: `http://127.0.0.1:${closedPort}`, maxAttempts: 1 }),
  timeoutMs: 60_000,
}));

describe("aws-batch head job (moto)", () => {
  const bindings = (runId: string) =>
    ["DB_PASSWORD", "API_TOKEN"].map((name) => ({
      name,
      location: `arn:aws:secretsmanager:${region}:${account}:secret:lockstep-${runId}/${name}-AbCdEf`,
    }));

  it("with nf-lockstep: the job definition carries the jar and a manifest of ARNs, never a value", async () => {
    const runId = randomUUID();
    const jar = Buffer.from(`stand-in jar ${randomUUID()}`);
    const withExt = connect({ nfLockstepJar: async () => jar });
    await withExt.start(launch(runId, { secretBindings: bindings(runId) }));
    const defs = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: `lockstep-${runId}` }));
    const env = Object.fromEntries(
      (defs.jobDefinitions![0]!.containerProperties?.environment ?? []).map((e) => [e.name, e.value]),
    );
    expect(Buffer.from(env[HEAD_EXTENSION_VAR]!, "base64")).toEqual(jar);
    expect(JSON.parse(Buffer.from(env[SECRETS_MANIFEST_VAR]!, "base64").toString("utf8"))).toEqual({
      v: 1,
      store: "aws-secrets-manager",
      region,
      // What nf-lockstep names its task job definitions after, and the role ECS resolves their secrets with.
      runId,
      executionRoleArn,
      secrets: Object.fromEntries(bindings(runId).map((b) => [b.name, b.location])),
    });
  });

  it("with nf-lockstep that cannot be built: the launch fails with the reason and submits nothing", async () => {
    const runId = randomUUID();
    const broken = connect({
      nfLockstepJar: () =>
        Promise.reject(
          new Error("cannot run javac to build nf-lockstep (spawn javac ENOENT): a JDK 17+ (javac, jar) is needed"),
        ),
    });
    const failure = await broken.start(launch(runId, { secretBindings: bindings(runId) })).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExecutorError);
    expect((failure as ExecutorError).message).toMatch(/^nf-lockstep .* is not available: cannot run javac/);
    expect((failure as ExecutorError).retryable).toBe(false);
    expect(await jobsNamed(runId)).toHaveLength(0);
  });

  it("registers lockstep-<runId> with the secret ARNs, the execution role, NXF_ENABLE_SECRETS and the head command, and submits it", async () => {
    const runId = randomUUID();
    const { ref } = await executor.start(
      launch(runId, {
        revision: "master",
        params: { greeting: "hi there" },
        env: { NXF_WORK: "s3://bucket/work" },
        secretsEnv: { NXF_ENABLE_SECRETS: "true" },
        secretBindings: bindings(runId),
      }),
    );

    const defs = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: `lockstep-${runId}` }));
    expect(defs.jobDefinitions).toHaveLength(1);
    const def = defs.jobDefinitions![0]!;
    expect(def.containerProperties?.image).toBe(image);
    expect(def.containerProperties?.executionRoleArn).toBe(executionRoleArn);
    expect(def.containerProperties?.secrets).toEqual(
      bindings(runId).map(({ name, location }) => ({ name, valueFrom: location })),
    );
    const env = Object.fromEntries((def.containerProperties?.environment ?? []).map((e) => [e.name, e.value]));
    expect(env).toMatchObject({
      NXF_WORK: "s3://bucket/work",
      NXF_ENABLE_SECRETS: "true",
      NXF_ANSI_LOG: "false",
      NXF_DISABLE_CHECK_LATEST: "true",
    });
    expect(Buffer.from(env[HEAD_CONFIG_VAR]!, "base64").toString("utf8")).toBe(
      `process.executor = 'awsbatch'\nprocess.queue = '${jobQueue}'\naws.region = '${region}'\n`,
    );
    const command = def.containerProperties!.command!;
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
    // Params never ride on the command line: the prologue decodes them to a file for -params-file.
    expect(JSON.parse(Buffer.from(env[HEAD_PARAMS_VAR]!, "base64").toString("utf8"))).toEqual({ greeting: "hi there" });

    const jobs = await batch.send(new DescribeJobsCommand({ jobs: [ref] }));
    expect(jobs.jobs).toHaveLength(1);
    expect(jobs.jobs![0]).toMatchObject({ jobName: `lockstep-${runId}`, jobDefinition: def.jobDefinitionArn });
    expect(jobs.jobs![0]!.jobQueue).toMatch(/:job-queue\/lockstep-it-[0-9a-f]{8}$/);
    // The simple backend marks the job SUCCEEDED immediately (no container ran).
    const head = { runId, runDir: runDirOf(runId), ref };
    expect(await executor.status(head)).toEqual({ state: "finished", exitCode: 0 });

    await executor.release(head);
    const after = await batch.send(
      new DescribeJobDefinitionsCommand({ jobDefinitionName: `lockstep-${runId}`, status: "ACTIVE" }),
    );
    expect(after.jobDefinitions ?? []).toEqual([]);
  });

  /** A job definition as nf-lockstep registers one for a run's tasks (ECS secrets → ARNs), straight into moto. */
  async function registerTaskDefinition(name: string, runId: string) {
    await batch.send(
      new RegisterJobDefinitionCommand({
        jobDefinitionName: name,
        type: "container",
        platformCapabilities: ["EC2"],
        tags: { "lockstep:run": runId },
        containerProperties: {
          image: "quay.io/lockstep/tool:1.0",
          command: ["true"],
          resourceRequirements: [
            { type: "VCPU", value: "1" },
            { type: "MEMORY", value: "1024" },
          ],
          secrets: bindings(runId).map(({ name: n, location }) => ({ name: n, valueFrom: location })),
          executionRoleArn,
        },
      }),
    );
  }
  async function activeNamed(name: string) {
    const res = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: name, status: "ACTIVE" }));
    return (res.jobDefinitions ?? []).filter((d) => d.status === "ACTIVE");
  }

  it("release deregisters the head's and every task job definition of the run (all revisions), only the run's; twice is fine; leftovers lists runs that still have some", async () => {
    const runId = randomUUID();
    const other = randomUUID();
    const { ref } = await executor.start(launch(runId, { secretBindings: bindings(runId) }));
    const task1 = `lockstep-${runId}-0123456789abcdef`;
    const task2 = `lockstep-${runId}-fedcba9876543210`;
    await registerTaskDefinition(task1, runId);
    await registerTaskDefinition(task1, runId); // a second revision, as a retried registration leaves
    await registerTaskDefinition(task2, runId);
    const foreign = `lockstep-${other}-0123456789abcdef`;
    await registerTaskDefinition(foreign, other);
    const unrelated = `nf-quay-io-lockstep-tool-1-0-${randomUUID().slice(0, 8)}`;
    await registerTaskDefinition(unrelated, other);
    expect(await activeNamed(task1)).toHaveLength(2);
    expect(await executor.leftovers!()).toEqual(expect.arrayContaining([runId, other]));

    const head = { runId, runDir: runDirOf(runId), ref };
    await executor.release(head);
    expect(await activeNamed(`lockstep-${runId}`)).toEqual([]);
    expect(await activeNamed(task1)).toEqual([]);
    expect(await activeNamed(task2)).toEqual([]);
    // Another run's and Nextflow's own are left alone.
    expect(await activeNamed(foreign)).toHaveLength(1);
    expect(await activeNamed(unrelated)).toHaveLength(1);
    expect(await executor.leftovers!()).not.toContain(runId);
    expect(await executor.leftovers!()).toContain(other);
    await expect(executor.release(head)).resolves.toBeUndefined();
    // Positive control for the assertions above: a run's definition that was not deregistered is found.
    await registerTaskDefinition(task2, runId);
    expect(await activeNamed(task2)).toHaveLength(1);
    expect(await executor.leftovers!()).toContain(runId);
    await executor.release(head);
    expect(await activeNamed(task2)).toEqual([]);
    for (const d of await activeNamed(foreign))
      await batch.send(new DeregisterJobDefinitionCommand({ jobDefinition: d.jobDefinitionArn }));
    for (const d of await activeNamed(unrelated))
      await batch.send(new DeregisterJobDefinitionCommand({ jobDefinition: d.jobDefinitionArn }));
  });

  it("start is idempotent: a retry returns the job already submitted for the run, under one job definition", async () => {
    const runId = randomUUID();
    const first = await executor.start(launch(runId, { secretBindings: bindings(runId) }));
    const again = await executor.start(launch(runId, { secretBindings: bindings(runId) }));
    expect(again).toEqual(first);
    const defs = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: `lockstep-${runId}` }));
    expect(defs.jobDefinitions).toHaveLength(1);
  });

  it("cancel records the termination; an unknown job id is vanished", async () => {
    const runId = randomUUID();
    const { ref } = await executor.start(launch(runId, { params: { seconds: 600 } }));
    await executor.cancel({ runId, runDir: runDirOf(runId), ref });
    const jobs = await batch.send(new DescribeJobsCommand({ jobs: [ref] }));
    expect(jobs.jobs![0]!.statusReason).toBe("Cancelled in Lockstep");
    expect(await executor.status({ runId, runDir: runDirOf(runId), ref: randomUUID() })).toMatchObject({
      state: "vanished",
    });
  });

  it("refuses, permanently, an environment that would hide a secret or Lockstep's own flag, and a local pipeline path", async () => {
    const runId = randomUUID();
    for (const [extra, problem] of [
      [{ secretBindings: bindings(runId), env: { DB_PASSWORD: "x" } }, /DB_PASSWORD/],
      [{ env: { NXF_ENABLE_SECRETS: "false" } }, /NXF_ENABLE_SECRETS/],
      [{ pipeline: "/srv/pipelines/hello" }, /must be an https:\/\/ repository/],
    ] as const) {
      const refused = await executor.start(launch(runId, extra)).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(ExecutorError);
      expect((refused as ExecutorError).message).toMatch(problem);
      expect((refused as ExecutorError).retryable).toBe(false);
    }
    expect(await jobsNamed(runId)).toEqual([]);
  });
});
