import { randomUUID } from "node:crypto";
import { BatchClient, DescribeJobDefinitionsCommand, DescribeJobsCommand } from "@aws-sdk/client-batch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMoto, freePort, MOTO_ACCOUNT, prepareMotoBatch, startMoto, type TStartedMoto } from "@lockstep/devstack";
import { awsBatchHeadJob, type TAwsBatchHeadJob } from "./executor";

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
let moto: TStartedMoto;
let batch: BatchClient;
let executor: TAwsBatchHeadJob;
let executionRoleArn: string;

beforeAll(async () => {
  moto = await startMoto({ port: await freePort(), moto: await ensureMoto() });
  const queue = await prepareMotoBatch(moto.endpoint, { region, name: `lockstep-it-${randomUUID().slice(0, 8)}` });
  executionRoleArn = queue.executionRoleArn;
  batch = new BatchClient({ region, credentials, endpoint: moto.endpoint });
  executor = awsBatchHeadJob({ region, credentials, endpoint: moto.endpoint, jobQueue: queue.jobQueue, executionRoleArn, image: "public.ecr.aws/seqera-labs/nextflow:24.10.5" });
}, 300_000);

afterAll(async () => {
  batch?.destroy();
  await moto?.stop();
});

describe("aws-batch head job (moto)", () => {
  const secretArns = (runId: string) =>
    ["DB_PASSWORD", "API_TOKEN"].map((name) => ({ name, arn: `arn:aws:secretsmanager:${region}:${account}:secret:lockstep-${runId}/${name}-AbCdEf` }));

  it("registers lockstep-<runId> with the secret ARNs, the execution role and NXF_ENABLE_SECRETS, and submits it", async () => {
    const runId = randomUUID();
    const command = ["nextflow", "run", "nextflow-io/hello", "-with-trace"];
    const { jobId, jobDefinitionArn } = await executor.start({ runId, secretArns: secretArns(runId), env: { NXF_WORK: "s3://bucket/work" }, command });

    const defs = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: `lockstep-${runId}` }));
    expect(defs.jobDefinitions).toHaveLength(1);
    const def = defs.jobDefinitions![0]!;
    expect(def.jobDefinitionArn).toBe(jobDefinitionArn);
    expect(def.containerProperties?.executionRoleArn).toBe(executionRoleArn);
    expect(def.containerProperties?.secrets).toEqual(secretArns(runId).map(({ name, arn }) => ({ name, valueFrom: arn })));
    expect(def.containerProperties?.environment).toEqual(
      expect.arrayContaining([
        { name: "NXF_WORK", value: "s3://bucket/work" },
        { name: "NXF_ENABLE_SECRETS", value: "true" },
      ]),
    );
    expect(def.containerProperties?.command).toEqual(command);

    const jobs = await batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
    expect(jobs.jobs).toHaveLength(1);
    expect(jobs.jobs![0]).toMatchObject({ jobName: `lockstep-${runId}`, jobDefinition: jobDefinitionArn });
    expect(jobs.jobs![0]!.jobQueue).toMatch(/:job-queue\/lockstep-it-[0-9a-f]{8}$/);
    // The simple backend marks the job SUCCEEDED immediately (no container ran).
    expect(await executor.status(jobId)).toEqual({ state: "finished", exitCode: 0 });

    await executor.release(runId);
    const after = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: `lockstep-${runId}`, status: "ACTIVE" }));
    expect(after.jobDefinitions ?? []).toEqual([]);
  });

  it("start is idempotent: a retry returns the job already submitted for the run", async () => {
    const runId = randomUUID();
    const first = await executor.start({ runId, secretArns: secretArns(runId), env: {}, command: ["true"] });
    const again = await executor.start({ runId, secretArns: secretArns(runId), env: {}, command: ["true"] });
    expect(again).toEqual(first);
    const defs = await batch.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: `lockstep-${runId}` }));
    expect(defs.jobDefinitions).toHaveLength(1);
  });

  it("cancel records the termination; an unknown job id is vanished", async () => {
    const runId = randomUUID();
    const { jobId } = await executor.start({ runId, secretArns: secretArns(runId), env: {}, command: ["sleep", "600"] });
    await executor.cancel(jobId);
    const jobs = await batch.send(new DescribeJobsCommand({ jobs: [jobId] }));
    expect(jobs.jobs![0]!.statusReason).toBe("Cancelled in Lockstep");
    expect(await executor.status(randomUUID())).toMatchObject({ state: "vanished" });
  });

  it("refuses an environment that would hide a secret or Lockstep's own flag", async () => {
    const runId = randomUUID();
    await expect(executor.start({ runId, secretArns: secretArns(runId), env: { DB_PASSWORD: "x" }, command: ["true"] })).rejects.toThrow(/DB_PASSWORD/);
    await expect(executor.start({ runId, secretArns: [], env: { NXF_ENABLE_SECRETS: "false" }, command: ["true"] })).rejects.toThrow(/NXF_ENABLE_SECRETS/);
  });
});
