import { randomUUID } from "node:crypto";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, insertRun, readRunLog } from "@lockstep/db";
import { NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis, enqueue } from "@lockstep/queue";
import type { TRuntime } from "./runtime";
import { apiCaller, settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/**
 * The worker checks a local pipeline path once more right before it starts the head, against its
 * own LOCKSTEP_LOCAL_PIPELINE_ROOTS (TRuntime.localPipelineRoots), whatever the API accepted.
 * The runtime here starts no Nextflow: a run that gets past the check fails saying so instead.
 */
const MARKER = `MARKER-${randomUUID()}`;
const NO_NEXTFLOW = "this test starts no Nextflow";
const prefix = `it-lp-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys("local-pipeline");
let workers: TWorkers;
let base: string;
/** The worker's root, and a root only the API was configured with. */
let workerRoot: string;
let apiOnlyRoot: string;
let workDir: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "lockstep-worker-lp-")));
  workerRoot = join(base, "worker-pipelines");
  apiOnlyRoot = join(base, "api-only");
  workDir = join(base, "runs");
  const outside = join(base, "private");
  for (const dir of [join(workerRoot, "good"), join(apiOnlyRoot, "elsewhere"), outside, workDir])
    await mkdir(dir, { recursive: true });
  await writeFile(join(workerRoot, "good", "main.nf"), `// ${MARKER}\nworkflow { println 'hi' }\n`);
  await writeFile(join(apiOnlyRoot, "elsewhere", "main.nf"), `// ${MARKER}\n`);
  await writeFile(join(outside, "main.nf"), `${MARKER}\n`);
  await symlink(outside, join(workerRoot, "escape"));
  const runtime: TRuntime = {
    baseEnv: {},
    monitorIntervalMs: 300,
    nextflowLib: () => Promise.reject(new Error(NO_NEXTFLOW)),
    localPipelineRoots: [workerRoot],
  };
  workers = startWorkers({ db, keys, queues, runtime, connection: redis, prefix, logger, concurrency: 2 });
});

afterAll(async () => {
  await workers?.close();
  await queues.close();
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
  await rm(base, { recursive: true, force: true });
});

async function localWorkspace() {
  const { ws, asOwner } = await workspaceWithSecrets({ db, redis: producer, queues, keys });
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  return { ws, asOwner, ce };
}

/** What a refused run left anywhere a user can read: its error, its log, the worker's log. */
async function readable(runId: string, errorMessage: string | null) {
  return [errorMessage ?? "", ...(await readRunLog(db, runId, 0, 1000)).map((l) => l.line), ...logLines].join("\n");
}

describe("the worker re-checks a local pipeline before it starts the head", () => {
  it(
    "lets a directory holding main.nf inside its roots through (positive control: the run gets as far as starting Nextflow)",
    { timeout: 60_000 },
    async () => {
      const { ws, asOwner, ce } = await localWorkspace();
      const asApi = apiCaller({ db, redis: producer, queues, keys }, (await asOwner.me.get()).id, {
        localPipelineRoots: [workerRoot],
      });
      const pipeline = await asApi.pipelines.create({
        workspaceId: ws.id,
        pipeline: { name: "good", repository: join(workerRoot, "good"), defaultComputeEnvId: ce.id },
      });
      const launched = await asApi.runs.launch({
        workspaceId: ws.id,
        pipelineId: pipeline.id,
        secrets: { mode: "none" },
      });
      const run = await waitForRun(db, launched.id, settled);
      expect(run.status).toBe("FAILED");
      expect(run.errorMessage).toBe(`could not start: Nextflow ${NEXTFLOW_VERSION} is not available: ${NO_NEXTFLOW}`);
    },
  );

  it("refuses a path the API accepted under a root the worker does not have", { timeout: 60_000 }, async () => {
    const { ws, asOwner, ce } = await localWorkspace();
    const userId = (await asOwner.me.get()).id;
    const asApi = apiCaller({ db, redis: producer, queues, keys }, userId, {
      localPipelineRoots: [workerRoot, apiOnlyRoot],
    });
    const pipeline = await asApi.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name: "elsewhere", repository: join(apiOnlyRoot, "elsewhere"), defaultComputeEnvId: ce.id },
    });
    const launched = await asApi.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      secrets: { mode: "none" },
    });
    const run = await waitForRun(db, launched.id, settled);
    expect([run.status, run.errorMessage]).toEqual([
      "FAILED",
      `could not start: The path is outside the allowed pipeline directories. A local pipeline must be a directory holding main.nf inside ${workerRoot}.`,
    ]);
    expect(run.startedAt).toBeNull();
    expect(await readable(run.id, run.errorMessage)).not.toContain(MARKER);
  });

  it.each([
    ["/etc/shadow", () => "/etc/shadow", "The path is outside the allowed pipeline directories."],
    [
      "a symlink out of the root",
      () => join(workerRoot, "escape"),
      "The path leads out of the allowed pipeline directories through a symbolic link.",
    ],
    ["a path with ..", () => `${workerRoot}/good/../escape`, "The path must not contain '..'."],
    [
      "a file instead of a directory",
      () => join(workerRoot, "good", "main.nf"),
      "The path is a file, not a directory: give the directory that holds main.nf.",
    ],
  ])(
    "refuses %s in a run row written behind the API's back, echoing no file content",
    { timeout: 60_000 },
    async (_, path, problem) => {
      const { ws, ce } = await localWorkspace();
      const row = await insertRun(db, {
        workspaceId: ws.id,
        computeEnvId: ce.id,
        pipelineName: "hostile",
        repository: path(),
        computeEnvName: ce.name,
        computeEnvKind: "local",
        deadlineAt: new Date(Date.now() + 3_600_000),
      });
      await enqueue(queues, "runs.provision", { runId: row.id });
      const run = await waitForRun(db, row.id, settled);
      expect([run.status, run.errorMessage]).toEqual([
        "FAILED",
        `could not start: ${problem} A local pipeline must be a directory holding main.nf inside ${workerRoot}.`,
      ]);
      const everything = await readable(run.id, run.errorMessage);
      expect(everything).not.toContain(MARKER);
      expect(everything).not.toMatch(/root:/);
    },
  );
});
