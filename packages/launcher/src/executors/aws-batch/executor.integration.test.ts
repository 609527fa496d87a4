import { randomUUID } from "node:crypto";
import {
  BatchClient,
  CreateComputeEnvironmentCommand,
  CreateJobQueueCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobsCommand,
} from "@aws-sdk/client-batch";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureMoto, freePort, startMoto, type TStartedMoto } from "@lockstep/devstack";
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
const account = "123456789012"; // moto's default account
const executionRoleArn = `arn:aws:iam::${account}:role/lockstep-batch-execution`;
let moto: TStartedMoto;
let batch: BatchClient;
let executor: TAwsBatchHeadJob;
const jobQueue = `lockstep-it-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  moto = await startMoto({ port: await freePort(), moto: await ensureMoto() });
  // moto's default Batch backend runs jobs in Docker; the simple one only records them.
  const configured = await fetch(`${moto.endpoint}/moto-api/config`, { method: "POST", body: JSON.stringify({ batch: { use_docker: false } }) });
  expect(configured.ok).toBe(true);
  batch = new BatchClient({ region, credentials, endpoint: moto.endpoint });

  // moto checks that a compute environment's service role exists in its IAM; @aws-sdk/client-iam is
  // not a dependency, so create it with one Query-protocol request (moto does not verify signatures).
  const serviceRoleArn = await createRoleInMoto(moto.endpoint, `lockstep-batch-service-${randomUUID().slice(0, 8)}`);
  const ce = await batch.send(
    new CreateComputeEnvironmentCommand({ computeEnvironmentName: `${jobQueue}-ce`, type: "UNMANAGED", state: "ENABLED", serviceRole: serviceRoleArn }),
  );
  await batch.send(
    new CreateJobQueueCommand({ jobQueueName: jobQueue, state: "ENABLED", priority: 1, computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.computeEnvironmentArn! }] }),
  );
  executor = awsBatchHeadJob({ region, credentials, endpoint: moto.endpoint, jobQueue, executionRoleArn, image: "public.ecr.aws/seqera-labs/nextflow:24.10.5" });
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
    expect(jobs.jobs![0]!.jobQueue).toMatch(new RegExp(`:job-queue/${jobQueue}$`));
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

async function createRoleInMoto(endpoint: string, roleName: string): Promise<string> {
  const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "batch.amazonaws.com" }, Action: "sts:AssumeRole" }] };
  const response = await fetch(endpoint, {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded; charset=utf-8",
      // moto routes by the credential scope's service name; the signature itself is not checked.
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${region}/iam/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: new URLSearchParams({ Action: "CreateRole", Version: "2010-05-08", RoleName: roleName, AssumeRolePolicyDocument: JSON.stringify(trust) }),
  });
  const text = await response.text();
  const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
  if (!response.ok || !arn) throw new Error(`moto CreateRole answered ${response.status}: ${text.slice(0, 200)}`);
  return arn;
}
