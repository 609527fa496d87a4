import {
  BatchClient,
  DeregisterJobDefinitionCommand,
  DescribeJobDefinitionsCommand,
  DescribeJobQueuesCommand,
  DescribeJobsCommand,
  ListJobsCommand,
  RegisterJobDefinitionCommand,
  SubmitJobCommand,
  TerminateJobCommand,
  type BatchClientConfig,
  type JobDetail,
} from "@aws-sdk/client-batch";
import type { THeadState } from "../../executor";

export type TAwsBatchConfig = {
  region: string;
  /** Name or ARN of the Batch job queue the head job is submitted to. */
  jobQueue: string;
  /** The role ECS uses to pull the image and resolve `secrets` (secretsmanager:GetSecretValue on `secret:<prefix>*`). */
  executionRoleArn: string;
  /** The Nextflow head image. */
  image: string;
  /** The role the head job itself runs as (submits task jobs, reads/writes the S3 work dir). */
  jobRoleArn?: string;
  vcpus?: number;
  memoryMiB?: number;
  /** Only for emulators (moto). */
  endpoint?: string;
  credentials?: BatchClientConfig["credentials"];
  maxAttempts?: number;
};

export type TAwsBatchStart = {
  runId: string;
  /** From the aws-secrets-manager provider: each run secret's name and its Secrets Manager ARN. */
  secretArns: Array<{ name: string; arn: string }>;
  /** Non-secret environment for the head job (names, paths, flags). */
  env: Record<string, string>;
  command: string[];
};

export type TAwsBatchHeadJob = {
  readonly kind: "aws-batch";
  /** Idempotent: a job already submitted for the run (a retry after a lost answer) is returned instead of a second one. */
  start(job: TAwsBatchStart): Promise<{ jobId: string; jobDefinitionArn: string }>;
  status(jobId: string): Promise<THeadState>;
  cancel(jobId: string): Promise<void>;
  /** Deregisters every active revision of the run's job definition, once the run is over. */
  release(runId: string): Promise<void>;
  /** "Check connection": the job queue exists and takes jobs. Throws an Error saying what is wrong. */
  check(): Promise<void>;
};

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const ACTIVE = new Set(["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"]);

/**
 * The Nextflow head job on AWS Batch. Stock Nextflow's aws-batch executor does not read a local
 * secrets store: the values reach the head container through the job definition's
 * `secrets: [{name, valueFrom: <Secrets Manager ARN>}]`, which ECS resolves with the execution
 * role at container start. So each run gets its own job definition `lockstep-<runId>` naming its
 * secrets' ARNs — no value ever passes through Lockstep's Batch calls, and none appears in the
 * job definition, DescribeJobs or CloudTrail.
 */
export function awsBatchHeadJob(config: TAwsBatchConfig): TAwsBatchHeadJob {
  const client = new BatchClient({
    region: config.region,
    maxAttempts: config.maxAttempts ?? 5,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
  const nameOf = (runId: string) => {
    if (!RUN_ID.test(runId)) throw new Error("run id must be a UUID");
    return `lockstep-${runId}`;
  };

  async function existingJob(name: string): Promise<JobDetail | undefined> {
    // With a filter, ListJobs returns jobs in every status, so a finished job also counts as "already started".
    const listed = await client.send(new ListJobsCommand({ jobQueue: config.jobQueue, filters: [{ name: "JOB_NAME", values: [name] }] }));
    const ids = (listed.jobSummaryList ?? []).filter((j) => j.jobName === name).map((j) => j.jobId!);
    if (ids.length === 0) return undefined;
    const described = await client.send(new DescribeJobsCommand({ jobs: ids }));
    return (described.jobs ?? []).sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
  }

  return {
    kind: "aws-batch",

    async start(job) {
      const name = nameOf(job.runId);
      for (const key of Object.keys(job.env)) {
        if (!ENV_NAME.test(key)) throw new Error(`${key} is not a valid environment variable name`);
      }
      const secretNames = new Set(job.secretArns.map((s) => s.name));
      // The provider's own NXF_ENABLE_SECRETS=true may come along; any other value would switch secrets off.
      const clash = Object.entries(job.env).find(([key, value]) => secretNames.has(key) || (key === "NXF_ENABLE_SECRETS" && value !== "true"))?.[0];
      if (clash) throw new Error(`environment variable ${clash} would hide a secret or Lockstep's own setting`);

      const previous = await existingJob(name);
      if (previous?.jobId && previous.jobDefinition) return { jobId: previous.jobId, jobDefinitionArn: previous.jobDefinition };

      const registered = await client.send(
        new RegisterJobDefinitionCommand({
          jobDefinitionName: name,
          type: "container",
          platformCapabilities: ["EC2"],
          // Nextflow resubmits failed tasks itself; a retried head job would start the pipeline over.
          retryStrategy: { attempts: 1 },
          containerProperties: {
            image: config.image,
            command: job.command,
            resourceRequirements: [
              { type: "VCPU", value: String(config.vcpus ?? 1) },
              { type: "MEMORY", value: String(config.memoryMiB ?? 4096) },
            ],
            environment: [
              ...Object.entries(job.env)
                .filter(([key]) => key !== "NXF_ENABLE_SECRETS")
                .map(([key, value]) => ({ name: key, value })),
              { name: "NXF_ENABLE_SECRETS", value: "true" },
            ],
            secrets: job.secretArns.map(({ name: secretName, arn }) => ({ name: secretName, valueFrom: arn })),
            executionRoleArn: config.executionRoleArn,
            ...(config.jobRoleArn ? { jobRoleArn: config.jobRoleArn } : {}),
          },
        }),
      );
      const jobDefinitionArn = registered.jobDefinitionArn!;
      const submitted = await client.send(new SubmitJobCommand({ jobName: name, jobQueue: config.jobQueue, jobDefinition: jobDefinitionArn }));
      if (!submitted.jobId) throw new Error(`Batch accepted ${name} but returned no job id`);
      return { jobId: submitted.jobId, jobDefinitionArn };
    },

    async status(jobId): Promise<THeadState> {
      const described = await client.send(new DescribeJobsCommand({ jobs: [jobId] }));
      const detail = described.jobs?.find((j) => j.jobId === jobId);
      if (!detail) return { state: "vanished", detail: `Batch job ${jobId} is unknown to DescribeJobs (Batch keeps finished jobs for about 7 days)` };
      if (ACTIVE.has(detail.status ?? "")) return { state: "running" };
      if (detail.status === "SUCCEEDED") return { state: "finished", exitCode: 0 };
      const exitCode = detail.container?.exitCode ?? detail.attempts?.at(-1)?.container?.exitCode;
      // FAILED without a container exit code: never started (image pull, a secret ECS could not resolve) or terminated.
      return { state: "finished", exitCode: typeof exitCode === "number" && exitCode !== 0 ? exitCode : 1 };
    },

    async cancel(jobId) {
      // TerminateJob also cancels jobs that have not started yet (SUBMITTED, PENDING, RUNNABLE).
      await client.send(new TerminateJobCommand({ jobId, reason: "Cancelled in Lockstep" }));
    },

    async release(runId) {
      const name = nameOf(runId);
      const defs = await client.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: name, status: "ACTIVE" }));
      for (const def of defs.jobDefinitions ?? []) {
        if (def.jobDefinitionArn) await client.send(new DeregisterJobDefinitionCommand({ jobDefinition: def.jobDefinitionArn }));
      }
    },

    async check() {
      const described = await client.send(new DescribeJobQueuesCommand({ jobQueues: [config.jobQueue] }));
      // The queue may be configured by name or by ARN; DescribeJobQueues accepts both.
      const queue = (described.jobQueues ?? []).find((q) => q.jobQueueName === config.jobQueue || q.jobQueueArn === config.jobQueue);
      if (!queue) throw new Error(`job queue ${config.jobQueue} not found in ${config.region}`);
      if (queue.state !== "ENABLED") throw new Error(`job queue ${config.jobQueue} is ${queue.state ?? "in an unknown state"}, not ENABLED`);
      if (queue.status !== "VALID") {
        const reason = queue.statusReason ? `: ${queue.statusReason}` : "";
        throw new Error(`job queue ${config.jobQueue} has status ${queue.status ?? "unknown"}, not VALID${reason}`);
      }
    },
  };
}
