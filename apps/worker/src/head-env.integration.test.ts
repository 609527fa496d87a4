import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, createUserWithPersonalWorkspace, eq, getRun, schema } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION, nextflowJavaCommand } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import { childBaseEnv } from "./env";
import type { TRuntime } from "./runtime";
import { orgWorkspace } from "@lockstep/vitest-config/fixtures";
import { apiCaller, settled, testKeys, waitForRun } from "./test/fixtures";

/** Local pipeline roots the API accepts in this file (each test's pipeline directory is added). */
const pipelineRoots: string[] = [];
import { startWorkers, type TWorkers } from "./worker";

/**
 * Compute-environment variables and Slurm head options (issue 11, item 2) against the real head:
 * JAVA_TOOL_OPTIONS really makes the pinned Nextflow's JVM run a command (positive control), the
 * API refuses it with a field error, and a row stored before the rule existed is refused by the
 * worker before any head starts — while the same environment without it runs (positive control).
 */
const prefix = `it-henv-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const workDir = mkdtempSync(join(tmpdir(), "lockstep-henv-"));
chmodSync(workDir, 0o755);
const marker = join(workDir, "JVM-RAN-A-COMMAND");
const hook = join(workDir, "hook.sh");
writeFileSync(hook, `#!/bin/sh\nid > ${marker}\n`);
chmodSync(hook, 0o755);
// The attack from the issue: a tiny heap so the JVM runs out of memory at once, and a command to run when it does.
const ATTACK = `-Xmx12m -XX:OnOutOfMemoryError=${hook}`;

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const connection = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys(`henv-${prefix}`);
let java: string[] = [];
let libDir = "";
let workers: TWorkers | undefined;

beforeAll(() => {
  libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  java = nextflowJavaCommand(libDir);
}, 600_000);

afterAll(async () => {
  await workers?.close();
  await queues.close();
  await Promise.all([connection.quit(), producer.quit()]);
  await close();
  rmSync(workDir, { recursive: true, force: true });
});

async function owner() {
  const user = (await createUserWithPersonalWorkspace(db, {
    email: `henv-${randomUUID()}@example.test`,
    name: "Owner",
    passwordHash: null,
  }))!;
  const { ws, asOwner: api } = await orgWorkspace(
    db,
    (userId) => apiCaller({ db, redis: producer, queues, keys }, userId, { localPipelineRoots: pipelineRoots }),
    {
      owner: user,
      participants: {},
      roles: {},
      org: { name: "Env", slug: `env-${user.id.slice(0, 8)}` },
      workspaceName: "Env rules",
    },
  );
  return { api, ws };
}

describe("compute-environment variables that change how the head starts", () => {
  it("positive control: JAVA_TOOL_OPTIONS makes the real Nextflow JVM run a command", () => {
    rmSync(marker, { force: true });
    const home = mkdtempSync(join(workDir, "nxf-"));
    spawnSync(java[0]!, [...java.slice(1), "-version"], {
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NXF_HOME: home, JAVA_TOOL_OPTIONS: ATTACK },
      timeout: 60_000,
    });
    expect(readFileSync(marker, "utf8")).toMatch(/^uid=/);
    rmSync(marker, { force: true });
  });

  it("the API refuses JAVA_TOOL_OPTIONS and --output with field errors, naming them and not their values", async () => {
    const { api, ws } = await owner();
    const local = { kind: "local" as const, name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION };
    const refused = await api.computeEnvs
      .create({ workspaceId: ws.id, computeEnv: { ...local, env: { JAVA_TOOL_OPTIONS: ATTACK } } })
      .catch((e: unknown) => e);
    expect(refused).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/computeEnv\.env\.JAVA_TOOL_OPTIONS: JAVA_TOOL_OPTIONS changes how the Java VM/),
    });
    expect(String((refused as Error).message)).not.toContain(hook);
    const slurm = await api.computeEnvs
      .create({
        workspaceId: ws.id,
        computeEnv: {
          ...local,
          kind: "slurm",
          name: "Slurm",
          config: { sbatchOptions: ["--time=10", "--output=/tmp/anywhere"] },
        },
      })
      .catch((e: unknown) => e);
    expect(slurm).toMatchObject({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/computeEnv\.config\.sbatchOptions\.1: --output is not allowed/),
    });
    // Positive control: the same environments without them are accepted.
    await expect(
      api.computeEnvs.create({ workspaceId: ws.id, computeEnv: { ...local, env: { TZ: "UTC" } } }),
    ).resolves.toMatchObject({ envNames: ["TZ"] });
    await expect(
      api.computeEnvs.create({
        workspaceId: ws.id,
        computeEnv: { ...local, kind: "slurm", name: "Slurm", config: { sbatchOptions: ["--time=10"] } },
      }),
    ).resolves.toMatchObject({
      kind: "slurm",
    });
  });

  it(
    "a row stored before the rule is refused by the API at launch and by the worker before the head starts",
    { timeout: 240_000 },
    async () => {
      const { api, ws } = await owner();
      const pipelinesRoot = mkdtempSync(join(tmpdir(), "lockstep-henv-pipelines-"));
      chmodSync(pipelinesRoot, 0o755);
      pipelineRoots.push(pipelinesRoot);
      const pipelineDir = join(pipelinesRoot, "pipeline");
      mkdirSync(pipelineDir, { recursive: true });
      writeFileSync(join(pipelineDir, "main.nf"), 'process HELLO {\n  script: "echo hello"\n}\nworkflow { HELLO() }\n');
      const ce = await api.computeEnvs.create({
        workspaceId: ws.id,
        computeEnv: { kind: "local", name: "Old row", workDir, nextflowVersion: NEXTFLOW_VERSION, env: { TZ: "UTC" } },
      });
      const slurm = await api.computeEnvs.create({
        workspaceId: ws.id,
        computeEnv: {
          kind: "slurm",
          name: "Old slurm",
          workDir,
          nextflowVersion: NEXTFLOW_VERSION,
          config: { sbatchOptions: ["--time=10"] },
        },
      });
      const pipeline = await api.pipelines.create({
        workspaceId: ws.id,
        pipeline: { name: "hello", repository: pipelineDir, defaultComputeEnvId: ce.id },
      });
      const launch = (computeEnvId: string) =>
        api.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id, computeEnvId });

      // Runs launched while the rows were fine; no worker consumes the queues yet, so their jobs wait.
      const bad = await launch(ce.id);
      const badSlurm = await launch(slurm.id);
      // Then the rows get what the old rules let through (written directly, as an old row would be).
      await db
        .update(schema.computeEnvs)
        .set({ env: { TZ: "UTC", JAVA_TOOL_OPTIONS: ATTACK } })
        .where(eq(schema.computeEnvs.id, ce.id));
      await db
        .update(schema.computeEnvs)
        .set({ config: { sbatchOptions: ["--time=10", "--output=/tmp/anywhere", "--export=ALL"] } })
        .where(eq(schema.computeEnvs.id, slurm.id));
      // The API refuses new launches on them, naming the variable.
      await expect(launch(ce.id)).rejects.toMatchObject({
        code: "BAD_REQUEST",
        message: expect.stringMatching(
          /^computeEnvId: Old row has settings Lockstep no longer allows: JAVA_TOOL_OPTIONS changes/,
        ),
      });

      const runtime: TRuntime = {
        baseEnv: childBaseEnv(),
        monitorIntervalMs: 500,
        nextflowLib: async () => libDir,
        localPipelineRoots: [pipelinesRoot],
      };
      workers = startWorkers({ db, keys, queues, runtime, connection, prefix, logger, concurrency: 2 });
      const refused = await waitForRun(db, bad.id, settled, 60_000);
      expect(refused.status).toBe("FAILED");
      expect(refused.errorMessage).toMatch(
        /^not started: compute environment "Old row" has settings Lockstep no longer allows: JAVA_TOOL_OPTIONS changes how the Java VM/,
      );
      expect(refused.executorRef).toBeNull();
      const refusedSlurm = await waitForRun(db, badSlurm.id, settled, 60_000);
      expect(refusedSlurm.errorMessage).toMatch(
        /Slurm option 2: --output is not allowed.*Slurm option 3: --export is not allowed/,
      );
      expect(existsSync(marker)).toBe(false);
      expect(existsSync(join(refused.runDir!, "head.sh"))).toBe(false);
      for (const text of [refused.errorMessage!, refusedSlurm.errorMessage!, logLines.join("\n")])
        expect(text).not.toContain(hook);

      // Positive control: the same environment without the variable starts the head and succeeds.
      await db
        .update(schema.computeEnvs)
        .set({ env: { TZ: "UTC" } })
        .where(eq(schema.computeEnvs.id, ce.id));
      const good = await launch(ce.id);
      const done = await waitForRun(db, good.id, settled, 180_000);
      expect([done.status, done.errorMessage]).toEqual(["SUCCEEDED", null]);
      expect((await getRun(db, good.id))!.executorRef).not.toBeNull();
    },
  );
});
