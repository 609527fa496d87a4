import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, listAuditEvents } from "@lockstep/db";
import {
  ensureMoto,
  freePort,
  prepareMotoBatch,
  startFaultProxy,
  startMoto,
  type TFaultProxy,
  type TStartedMoto,
} from "@lockstep/devstack";
import { NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis, jobCatalog } from "@lockstep/queue";
import { settled, testKeys, waitForRun, workspaceWithSecrets } from "./test/fixtures";

/**
 * Scale-out (issue #15, docs/operations.md): two worker processes on one Postgres and one Redis,
 * consuming the same queues. Every provision and every cleanup happens exactly once — counted at
 * the secrets manager (moto, behind a proxy that sees each CreateSecret and DeleteSecret) and in
 * the audit log. Then one worker is SIGKILLed while it holds runs' jobs: the other finishes every
 * run and deletes every secret.
 */
const region = "eu-west-1";
const here = import.meta.dirname;
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const producer = createRedis(inject("redisUrl"), "worker");
const prefix = `it-scale-${randomUUID().slice(0, 8)}`;
const queues = createQueues(producer, prefix);
const keys = await testKeys("scale");
const { sealKeys } = keys;
const dir = mkdtempSync(join(tmpdir(), "lockstep-scale-"));
const openKeysFile = join(dir, "open-keys");
writeFileSync(openKeysFile, `${keys.openKeys}\n`, { mode: 0o600 });
const fingerprintKeyFile = join(dir, "fingerprint-key");
writeFileSync(fingerprintKeyFile, `${keys.fingerprintSpec}\n`, { mode: 0o600 });

let moto: TStartedMoto;
let proxy: TFaultProxy;
let jobQueue: string;
let executionRoleArn: string;
const secretPrefix = `lst-${randomUUID().slice(0, 8)}/`;
/** Per run id: CreateSecret and DeleteSecret calls that reached the secrets manager. */
const writes = new Map<string, number>();
const deletes = new Map<string, number>();
/** While set, DescribeJobs (the monitor's look at a head) waits: runs stay RUNNING with their monitor job held. */
let hold: { promise: Promise<void>; release: () => void } | null = null;

type TWorkerProcess = { child: ChildProcess; logs: string[] };
const children: TWorkerProcess[] = [];

async function startWorkerProcess(): Promise<TWorkerProcess> {
  const logs: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", join(here, "test/worker-process.ts")], {
    cwd: join(here, ".."),
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      AWS_ACCESS_KEY_ID: "testing",
      AWS_SECRET_ACCESS_KEY: "testing",
      LOCKSTEP_TEST_WORKER: JSON.stringify({
        databaseUrl: inject("databaseUrl"),
        redisUrl: inject("redisUrl"),
        prefix,
        sealKeys,
        openKeysFile,
        fingerprintKeyFile,
        awsEndpoint: proxy.endpoint,
        monitorIntervalMs: 300,
        concurrency: 4,
      }),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => logs.push(d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => logs.push(d.toString("utf8")));
  const worker = { child, logs };
  children.push(worker);
  const deadline = Date.now() + 60_000;
  while (!logs.join("").includes("test worker ready")) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the worker did not start:\n${logs.join("").slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return worker;
}

const completedBy = (w: TWorkerProcess, job: string) =>
  w.logs
    .join("")
    .split("\n")
    .filter((l) => l.includes('"msg":"job completed"') && l.includes(`"job":"${job}"`)).length;

function runIdIn(text: string): string | null {
  return /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/.exec(text)?.[0] ?? null;
}

beforeAll(async () => {
  process.env.AWS_ACCESS_KEY_ID = "testing";
  process.env.AWS_SECRET_ACCESS_KEY = "testing";
  moto = await startMoto({ port: await freePort(), moto: await ensureMoto() });
  ({ jobQueue, executionRoleArn } = await prepareMotoBatch(moto.endpoint, {
    region,
    name: `lst-${randomUUID().slice(0, 8)}`,
  }));
  proxy = await startFaultProxy({
    target: moto.endpoint,
    failureRate: 0,
    async observe(operation, body) {
      const count = (m: Map<string, number>) => {
        const name =
          (JSON.parse(body.toString("utf8")) as { Name?: string; SecretId?: string }).Name ??
          (JSON.parse(body.toString("utf8")) as { SecretId?: string }).SecretId ??
          "";
        const runId = name.startsWith(secretPrefix) || name.includes(`:secret:${secretPrefix}`) ? runIdIn(name) : null;
        if (runId) m.set(runId, (m.get(runId) ?? 0) + 1);
      };
      if (operation === "secretsmanager.CreateSecret") count(writes);
      if (operation === "secretsmanager.DeleteSecret") count(deletes);
      if (operation === "POST /v1/describejobs" && hold) await hold.promise;
    },
  });
}, 300_000);

afterAll(async () => {
  hold?.release();
  for (const w of children) if (w.child.exitCode === null) w.child.kill("SIGKILL");
  await queues.close();
  await producer.quit();
  await close();
  await proxy?.stop();
  await moto?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function setup() {
  const { ws, asOwner, asLauncher, values } = await workspaceWithSecrets({ db, redis: producer, queues, keys });
  const cred = await asOwner.credentials.create({
    workspaceId: ws.id,
    name: "aws",
    provider: "aws",
    value: {
      plain: JSON.stringify({
        accessKeyId: "AKIAIOSFODNN7EXAMPLE",
        secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
      }),
    },
  });
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: {
      kind: "aws-batch",
      name: "AWS Batch",
      workDir: "s3://lockstep-it-bucket/runs",
      nextflowVersion: NEXTFLOW_VERSION,
      config: {
        region,
        jobQueue,
        executionRoleArn,
        headImage: "public.ecr.aws/seqera-labs/nextflow:24.10.8",
        secretPrefix,
        credentialId: cred.id,
      },
    },
  });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "hello", repository: "https://github.com/nextflow-io/hello", defaultComputeEnvId: ce.id },
  });
  const launch = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++)
      ids.push((await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })).id);
    return ids;
  };
  return { ws, launch, values };
}

async function auditCounts(workspaceId: string, action: string) {
  const events = await listAuditEvents(db, { workspaceId, action, limit: 1000 });
  const byRun = new Map<string, number>();
  for (const e of events) if (e.runId) byRun.set(e.runId, (byRun.get(e.runId) ?? 0) + 1);
  return byRun;
}

describe("two workers on one Postgres and one Redis", () => {
  let a: TWorkerProcess;
  let b: TWorkerProcess;

  it(
    "provision and cleanup each happen exactly once per run while both race on the same queues",
    { timeout: 240_000 },
    async () => {
      [a, b] = await Promise.all([startWorkerProcess(), startWorkerProcess()]);
      const { ws, launch } = await setup();
      const ids = await launch(16);
      for (const id of ids) {
        const run = await waitForRun(db, id, settled, 120_000);
        expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
      }
      // Two secrets per run (DB_PASSWORD, and the launcher's API_TOKEN over the workspace's): written once, deleted once.
      for (const id of ids) expect([id, writes.get(id), deletes.get(id)]).toEqual([id, 2, 2]);
      const provisioned = await auditCounts(ws.id, "secrets.provisioned");
      const deleted = await auditCounts(ws.id, "secrets.deleted");
      const started = await auditCounts(ws.id, "run.started");
      for (const id of ids) expect([id, provisioned.get(id), deleted.get(id), started.get(id)]).toEqual([id, 1, 1, 1]);
      // Both took part (otherwise this proves nothing about racing).
      for (const job of ["runs.provision", "runs.cleanup"]) {
        expect(completedBy(a, job) + completedBy(b, job)).toBeGreaterThanOrEqual(ids.length);
      }
      expect(
        completedBy(a, "runs.provision") + completedBy(a, "runs.launch") + completedBy(a, "runs.cleanup"),
      ).toBeGreaterThan(0);
      expect(
        completedBy(b, "runs.provision") + completedBy(b, "runs.launch") + completedBy(b, "runs.cleanup"),
      ).toBeGreaterThan(0);
    },
  );

  it(
    "a worker killed while it holds runs' monitor jobs: the other finishes every run and deletes every secret",
    { timeout: 300_000 },
    async () => {
      const { ws, launch, values } = await setup();
      let release!: () => void;
      hold = { promise: new Promise<void>((r) => (release = r)), release: () => release() };
      const ids = await launch(6);
      // Every run RUNNING, its monitor's look stuck in DescribeJobs: at least 5 active monitor jobs
      // means the worker killed below holds at least one (each takes at most 4 at a time).
      for (const id of ids) await waitForRun(db, id, (r) => r.status === "RUNNING", 120_000);
      const monitorQueue = queues.get(jobCatalog["runs.monitor"].queue);
      const deadline = Date.now() + 30_000;
      while (((await monitorQueue.getJobCounts("active")).active ?? 0) < 5) {
        if (Date.now() > deadline) throw new Error("the monitor jobs did not become active");
        await new Promise((r) => setTimeout(r, 100));
      }
      a.child.kill("SIGKILL");
      await new Promise((r) => a.child.once("exit", r));
      release();
      hold = null;
      // B's own looks go on at once; A's jobs come back to B when their locks expire (BullMQ's stalled check, ~30–60 s).
      for (const id of ids) {
        const run = await waitForRun(db, id, settled, 180_000);
        expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
      }
      for (const id of ids) expect([id, writes.get(id), deletes.get(id)]).toEqual([id, 2, 2]);
      const deleted = await auditCounts(ws.id, "secrets.deleted");
      for (const id of ids) expect([id, deleted.get(id)]).toEqual([id, 1]);
      // No value in either worker's log.
      for (const value of Object.values(values)) expect([...a.logs, ...b.logs].join("")).not.toContain(value);
    },
  );
});
