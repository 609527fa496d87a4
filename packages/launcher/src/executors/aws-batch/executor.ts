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
import { cloudHeadFor } from "../../cloud-head";
import { headExtensionJar, secretsManifest } from "../../nf-lockstep";
import { assertRunId, ExecutorError, type TExecutor, type THeadState } from "../../executor";

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
  /**
   * nf-lockstep's jar (see nf-lockstep.ts), built on demand at start. With it the head resolves
   * `secrets.X` in the config and the workflow body from Secrets Manager by ARN, with its job role,
   * and registers a job definition `lockstep-<runId>-<hash>` with ECS `secrets` references for the
   * tasks that declare secrets (docs/aws.md, "Secrets in tasks"); `release` deregisters them.
   */
  nfLockstepJar?: () => Promise<Buffer>;
  /** Only for emulators (moto). */
  endpoint?: string;
  credentials?: BatchClientConfig["credentials"];
  maxAttempts?: number;
};

/** What the head job is given: the environment and command the executor built, the secrets as ARNs. */
type TAwsBatchHeadSpec = {
  runId: string;
  /** From the aws-secrets-manager provider: each run secret's name and its Secrets Manager ARN. */
  secretArns: Array<{ name: string; arn: string }>;
  /** Non-secret environment for the head job (names, paths, flags). */
  env: Record<string, string>;
  command: string[];
};

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** `lockstep-<runId>`: a head's job definition; `lockstep-<runId>-<hash>`: one nf-lockstep registered for its tasks. */
const HEAD_DEF = /^lockstep-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;
const TASK_DEF = /^lockstep-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})-[0-9a-f]{16}$/;
const ACTIVE = new Set(["SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING"]);

/**
 * The Nextflow head job on AWS Batch. Stock Nextflow's aws-batch executor does not read a local
 * secrets store: the values reach the head container through the job definition's
 * `secrets: [{name, valueFrom: <Secrets Manager ARN>}]`, which ECS resolves with the execution
 * role at container start. So each run gets its own job definition `lockstep-<runId>` naming its
 * secrets' ARNs — no value ever passes through Lockstep's Batch calls, and none appears in the
 * job definition, DescribeJobs or CloudTrail.
 */
export function awsBatchExecutor(config: TAwsBatchConfig): TExecutor {
  const client = new BatchClient({
    region: config.region,
    maxAttempts: config.maxAttempts ?? 5,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    ...(config.credentials ? { credentials: config.credentials } : {}),
  });
  const nameOf = (runId: string) => {
    assertRunId(runId);
    return `lockstep-${runId}`;
  };
  /** Runs one Batch call; a failure becomes an ExecutorError naming the call, classified by AWS's own answer. */
  const call = async <T>(operation: string, work: () => Promise<T>): Promise<T> => {
    try {
      return await work();
    } catch (error) {
      throw awsError(error, operation);
    }
  };

  /** Every ACTIVE job definition in the region (Batch has no name-prefix filter), page by page. */
  async function activeJobDefinitions(): Promise<Array<{ name: string; arn: string }>> {
    const out: Array<{ name: string; arn: string }> = [];
    let nextToken: string | undefined;
    do {
      const page = await call("DescribeJobDefinitions", () =>
        client.send(new DescribeJobDefinitionsCommand({ status: "ACTIVE", maxResults: 100, nextToken })),
      );
      for (const def of page.jobDefinitions ?? [])
        if (def.jobDefinitionName && def.jobDefinitionArn && def.status === "ACTIVE")
          out.push({ name: def.jobDefinitionName, arn: def.jobDefinitionArn });
      nextToken = page.nextToken;
    } while (nextToken);
    return out;
  }

  /** ARNs of the run's ACTIVE job definitions: the head's (by name) and its tasks' (by the name prefix). */
  async function runJobDefinitions(runId: string): Promise<string[]> {
    const name = nameOf(runId);
    const head = await call("DescribeJobDefinitions", () =>
      client.send(new DescribeJobDefinitionsCommand({ jobDefinitionName: name, status: "ACTIVE" })),
    );
    const arns = new Set(
      (head.jobDefinitions ?? []).filter((d) => d.status === "ACTIVE").map((d) => d.jobDefinitionArn!),
    );
    for (const def of await activeJobDefinitions()) if (def.name.startsWith(`${name}-`)) arns.add(def.arn);
    return [...arns];
  }

  async function existingJob(name: string): Promise<JobDetail | undefined> {
    // With a filter, ListJobs returns jobs in every status, so a finished job also counts as "already started".
    const listed = await call("ListJobs", () =>
      client.send(new ListJobsCommand({ jobQueue: config.jobQueue, filters: [{ name: "JOB_NAME", values: [name] }] })),
    );
    const ids = (listed.jobSummaryList ?? []).filter((j) => j.jobName === name).map((j) => j.jobId!);
    if (ids.length === 0) return undefined;
    const described = await call("DescribeJobs", () => client.send(new DescribeJobsCommand({ jobs: ids })));
    return (described.jobs ?? []).sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
  }

  /** Idempotent: a job already submitted for the run (a retry after a lost answer) is returned instead of a second one. */
  async function submit(job: TAwsBatchHeadSpec): Promise<{ jobId: string; jobDefinitionArn: string }> {
    const name = nameOf(job.runId);
    for (const key of Object.keys(job.env)) {
      if (!ENV_NAME.test(key)) throw new ExecutorError(`${key} is not a valid environment variable name`, false);
    }
    const secretNames = new Set(job.secretArns.map((s) => s.name));
    // The provider's own NXF_ENABLE_SECRETS=true may come along; any other value would switch secrets off.
    const clash = Object.entries(job.env).find(
      ([key, value]) => secretNames.has(key) || (key === "NXF_ENABLE_SECRETS" && value !== "true"),
    )?.[0];
    if (clash)
      throw new ExecutorError(`environment variable ${clash} would hide a secret or Lockstep's own setting`, false);

    const previous = await existingJob(name);
    if (previous?.jobId && previous.jobDefinition)
      return { jobId: previous.jobId, jobDefinitionArn: previous.jobDefinition };

    const registered = await call("RegisterJobDefinition", () =>
      client.send(
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
      ),
    );
    const jobDefinitionArn = registered.jobDefinitionArn!;
    const submitted = await call("SubmitJob", () =>
      client.send(new SubmitJobCommand({ jobName: name, jobQueue: config.jobQueue, jobDefinition: jobDefinitionArn })),
    );
    if (!submitted.jobId) throw new ExecutorError(`AWS Batch accepted ${name} but returned no job id`, true);
    return { jobId: submitted.jobId, jobDefinitionArn };
  }

  return {
    kind: "aws-batch",

    // Nothing to prepare: the head's files are in the S3 work directory, its secrets in Secrets Manager.
    async prepare(run) {
      nameOf(run.runId);
      return { owner: null };
    },

    async start(run) {
      nameOf(run.runId);
      const secrets = config.nfLockstepJar
        ? {
            extensionJar: await headExtensionJar(config.nfLockstepJar),
            manifest: secretsManifest(
              {
                store: "aws-secrets-manager",
                region: config.region,
                runId: run.runId,
                executionRoleArn: config.executionRoleArn,
              },
              run.secretBindings.map((b) => ({ name: b.name, ref: b.location })),
            ),
          }
        : undefined;
      const { command, env } = cloudHeadFor(
        { kind: "aws-batch", region: config.region, jobQueue: config.jobQueue },
        run,
        secrets,
      );
      const { jobId } = await submit({
        runId: run.runId,
        env,
        command,
        secretArns: run.secretBindings.map((b) => ({ name: b.name, arn: b.location })),
      });
      return { ref: jobId };
    },

    async status({ ref }): Promise<THeadState> {
      const described = await call("DescribeJobs", () => client.send(new DescribeJobsCommand({ jobs: [ref] })));
      const detail = described.jobs?.find((j) => j.jobId === ref);
      if (!detail)
        return {
          state: "vanished",
          detail: `Batch job ${ref} is unknown to DescribeJobs (Batch keeps finished jobs for about 7 days)`,
        };
      if (ACTIVE.has(detail.status ?? "")) return { state: "running" };
      if (detail.status === "SUCCEEDED") return { state: "finished", exitCode: 0 };
      const exitCode = detail.container?.exitCode ?? detail.attempts?.at(-1)?.container?.exitCode;
      // FAILED without a container exit code: never started (image pull, a secret ECS could not resolve) or terminated.
      return { state: "finished", exitCode: typeof exitCode === "number" && exitCode !== 0 ? exitCode : 1 };
    },

    async cancel({ ref }) {
      // TerminateJob also cancels jobs that have not started yet (SUBMITTED, PENDING, RUNNABLE), and
      // leaves a job that already ended as it was.
      await call("TerminateJob", () =>
        client.send(new TerminateJobCommand({ jobId: ref, reason: "Cancelled in Lockstep" })),
      );
    },

    /**
     * Deregisters, once the run is over, every active revision of the run's head job definition
     * (`lockstep-<runId>`) and of the task job definitions nf-lockstep registered in the head
     * (`lockstep-<runId>-<hash>`), then checks that none is left ACTIVE. Idempotent.
     */
    async release({ runId }) {
      const defs = await runJobDefinitions(runId);
      for (const arn of defs)
        await call("DeregisterJobDefinition", () =>
          client.send(new DeregisterJobDefinitionCommand({ jobDefinition: arn })),
        );
      const left = await runJobDefinitions(runId);
      if (left.length > 0)
        throw new ExecutorError(
          `AWS Batch: ${left.length} job definition${left.length === 1 ? " is" : "s are"} of run ${runId} still ACTIVE after deregistration`,
          true,
        );
    },

    /** Runs with an ACTIVE job definition left (the head's or a task's): what the sweeper releases once they ended. */
    async leftovers() {
      const runs = new Set<string>();
      for (const def of await activeJobDefinitions()) {
        const m = TASK_DEF.exec(def.name) ?? HEAD_DEF.exec(def.name);
        if (m) runs.add(m[1]!);
      }
      return [...runs];
    },

    /** "Check connection": the job queue exists and takes jobs. */
    async check() {
      const described = await call("DescribeJobQueues", () =>
        client.send(new DescribeJobQueuesCommand({ jobQueues: [config.jobQueue] })),
      );
      // The queue may be configured by name or by ARN; DescribeJobQueues accepts both.
      const queue = (described.jobQueues ?? []).find(
        (q) => q.jobQueueName === config.jobQueue || q.jobQueueArn === config.jobQueue,
      );
      if (!queue)
        throw new ExecutorError(`AWS Batch: job queue ${config.jobQueue} not found in ${config.region}`, false);
      // A disabled or invalid queue is an administrator's to fix; it may be fixed while Lockstep waits.
      if (queue.state !== "ENABLED")
        throw new ExecutorError(
          `AWS Batch: job queue ${config.jobQueue} is ${queue.state ?? "in an unknown state"}, not ENABLED`,
          false,
        );
      if (queue.status !== "VALID") {
        const reason = queue.statusReason ? `: ${queue.statusReason}` : "";
        throw new ExecutorError(
          `AWS Batch: job queue ${config.jobQueue} has status ${queue.status ?? "unknown"}, not VALID${reason}`,
          queue.status === "CREATING" || queue.status === "UPDATING",
        );
      }
      return { reached: `job queue ${config.jobQueue}` };
    },

    async close() {
      client.destroy();
    },
  };
}

/** Throttling and timeouts pass; other 4xx answers (access denied, a queue that does not exist, a bad request) do not. */
const RETRYABLE_NAMES = /throttl|toomanyrequests|requestlimitexceeded|timeout|serviceunavailable|internal/i;

/**
 * An AWS SDK failure as an ExecutorError: the operation, the error's name and AWS's message (which
 * names resources, never a value: Lockstep sends none). Retryable unless AWS answered with a client
 * error a retry cannot change.
 */
function awsError(error: unknown, operation: string): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const e = error as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number } } | null;
  const name = typeof e?.name === "string" ? e.name : "Error";
  const message = (typeof e?.message === "string" ? e.message : "unknown error").replace(/\s+/g, " ").slice(0, 300);
  const status = e?.$metadata?.httpStatusCode;
  const retryable =
    typeof status === "number" ? status >= 500 || status === 408 || status === 429 || RETRYABLE_NAMES.test(name) : true;
  return new ExecutorError(`AWS Batch: ${operation} failed (${name}: ${message})`, retryable);
}
