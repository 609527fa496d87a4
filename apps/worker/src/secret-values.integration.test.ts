import { createHash, randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { importPublicKey, seal, type TSecretBinding } from "@lockstep/crypto";
import { createDatabase, listAuditEvents, readRunLog } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import { childBaseEnv } from "./env";
import type { TRuntime } from "./runtime";
import { settled, testKeys, waitForRun, workspaceWithLauncher, type apiCaller } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/** Dates leave the API as ISO 8601 strings. */
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/**
 * Values sealed in a client obey the value rules too (issue 11, item 3), with real Postgres, Redis,
 * worker and Nextflow: the API accepts a sealed value it cannot read, the worker's secrets.validate
 * job flags it in the secrets list, provisioning refuses it before any store is written — and a
 * good sealed value passes all three (positive control).
 */
const root = resolve(import.meta.dirname, "../../..");
const prefix = `it-sval-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
const workDir = mkdtempSync(join(tmpdir(), "lockstep-sval-"));
chmodSync(workDir, 0o755);

const marker = `MARKER${randomUUID().replace(/-/g, "")}`;
// The value: Nextflow's sidecar writes `export API_TOKEN="<value>"`, so this closes the quote and runs `id`.
const hostile = `a"; echo ${marker} \`id\`; : "`;
const good = `good-${marker}-value`;

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const connection = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys(`sval-${prefix}`);
let workers: TWorkers;

beforeAll(async () => {
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  const runtime: TRuntime = {
    baseEnv: childBaseEnv(),
    monitorIntervalMs: 500,
    nextflowLib: async () => libDir,
    localPipelineRoots: [join(root, "e2e/fixtures/pipelines")],
  };
  workers = startWorkers({ db, keys, queues, runtime, connection, prefix, logger, concurrency: 2 });
}, 600_000);

afterAll(async () => {
  await workers?.close();
  await queues.close();
  await Promise.all([connection.quit(), producer.quit()]);
  await close();
  rmSync(workDir, { recursive: true, force: true });
});

type TApi = ReturnType<typeof apiCaller>;

/** Seals as the browser does: with the public key the API hands out, bound to scope, owner and name. */
async function sealInClient(api: TApi, value: string, binding: TSecretBinding) {
  const spec = await api.secrets.publicKey();
  return seal(await importPublicKey(spec.kid, spec.publicKey), value, binding);
}

async function setup() {
  const { ws, asOwner, asLauncher, launcher } = await workspaceWithLauncher(
    { db, redis: producer, queues, keys },
    { org: "Values", slug: "values", workspace: "Values" },
  );
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: {
      name: "secrets-hash",
      repository: join(root, "e2e/fixtures/pipelines/secrets-hash"),
      defaultComputeEnvId: ce.id,
    },
  });
  await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: `db-${marker}` } });
  await asOwner.secrets.create({ workspaceId: ws.id, name: "API_TOKEN", value: { plain: `ws-${marker}` } });
  const userBinding = (name: string): TSecretBinding => ({ scope: "user", ownerId: launcher.id, name });
  const wsBinding = (name: string): TSecretBinding => ({ scope: "workspace", ownerId: ws.id, name });
  return { ws, pipeline, asOwner, asLauncher, userBinding, wsBinding };
}

/** Waits for the worker's check of the named secret's current value. */
async function checked(
  list: () => Promise<
    Array<{ name: string; valueProblem: string | null; valueCheckedAt: string | null; updatedAt: string }>
  >,
  name: string,
) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const row = (await list()).find((s) => s.name === name);
    if (row?.valueCheckedAt && row.valueCheckedAt >= row.updatedAt) return row;
    if (Date.now() > deadline) throw new Error(`${name} was not checked: ${JSON.stringify(row)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function everythingRedisHolds(): Promise<string> {
  const keysInRedis = await producer.keys(`${prefix}:*`);
  const parts: string[] = [];
  for (const key of keysInRedis) {
    const type = await producer.type(key);
    if (type === "hash") parts.push(JSON.stringify(await producer.hgetall(key)));
    else if (type === "string") parts.push((await producer.get(key)) ?? "");
    else if (type === "list") parts.push(JSON.stringify(await producer.lrange(key, 0, -1)));
    else if (type === "zset") parts.push(JSON.stringify(await producer.zrange(key, 0, -1)));
    else if (type === "stream") parts.push(JSON.stringify(await producer.xrange(key, "-", "+")));
  }
  return parts.join("\n");
}

const sha = (v: string) => createHash("sha256").update(v).digest("hex");

describe("values sealed in a client", () => {
  it(
    "are accepted by the API, then flagged by the worker's check with the rule they break; good ones pass",
    { timeout: 120_000 },
    async () => {
      const { ws, asOwner, asLauncher, userBinding, wsBinding } = await setup();
      const userList = () => asLauncher.userSecrets.list();
      const wsList = () => asOwner.secrets.list({ workspaceId: ws.id });

      // User secret: create (the API cannot read it, so it accepts it).
      const created = await asLauncher.userSecrets.create({
        name: "API_TOKEN",
        value: { sealed: await sealInClient(asLauncher, hostile, userBinding("API_TOKEN")) },
      });
      expect(created.name).toBe("API_TOKEN");
      const flagged = await checked(userList, "API_TOKEN");
      expect(flagged.valueProblem).toBe(
        'Secret value contains a double quote ("), which Nextflow cannot deliver intact to a task; encode the value as base64 and decode it in the pipeline.',
      );
      // Positive control: a good sealed value is checked and passes.
      await asLauncher.userSecrets.create({
        name: "OTHER_TOKEN",
        value: { sealed: await sealInClient(asLauncher, good, userBinding("OTHER_TOKEN")) },
      });
      expect(await checked(userList, "OTHER_TOKEN")).toMatchObject({ valueProblem: null });

      // Workspace secret: overwrite a good value with the bad one, then back.
      const wsToken = (await wsList()).find((s) => s.name === "API_TOKEN")!;
      expect(wsToken).toMatchObject({ valueProblem: null, valueCheckedAt: expect.stringMatching(ISO) }); // plain: checked by the API
      await asOwner.secrets.update({
        workspaceId: ws.id,
        secretId: wsToken.id,
        value: { sealed: await sealInClient(asOwner, hostile, wsBinding("API_TOKEN")) },
      });
      expect((await checked(wsList, "API_TOKEN")).valueProblem).toMatch(/^Secret value contains a double quote/);
      await asOwner.secrets.update({
        workspaceId: ws.id,
        secretId: wsToken.id,
        value: { sealed: await sealInClient(asOwner, good, wsBinding("API_TOKEN")) },
      });
      expect(await checked(wsList, "API_TOKEN")).toMatchObject({ valueProblem: null });

      // Import: every sealed entry is checked, each on its own.
      await asOwner.secrets.import({
        workspaceId: ws.id,
        entries: [
          {
            line: 1,
            name: "IMPORTED_BAD",
            value: { sealed: await sealInClient(asOwner, "line1\nline2", wsBinding("IMPORTED_BAD")) },
          },
          {
            line: 2,
            name: "IMPORTED_GOOD",
            value: { sealed: await sealInClient(asOwner, good, wsBinding("IMPORTED_GOOD")) },
          },
        ],
      });
      expect((await checked(wsList, "IMPORTED_BAD")).valueProblem).toMatch(/^Secret value contains a line break/);
      expect(await checked(wsList, "IMPORTED_GOOD")).toMatchObject({ valueProblem: null });

      // Nothing of the values travelled with the jobs or reached a log.
      for (const text of [
        JSON.stringify(await userList()),
        JSON.stringify(await wsList()),
        logLines.join("\n"),
        await everythingRedisHolds(),
      ]) {
        expect(text).not.toContain(marker);
      }
    },
  );

  it(
    "are refused at provisioning: the run fails naming the secret and the rule, no store is written; a good value runs",
    { timeout: 240_000 },
    async () => {
      const { ws, pipeline, asLauncher, userBinding } = await setup();
      const mine = await asLauncher.userSecrets.create({
        name: "API_TOKEN",
        value: { sealed: await sealInClient(asLauncher, hostile, userBinding("API_TOKEN")) },
      });
      // The user's API_TOKEN overrides the workspace's: the attack path.
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
      const refused = await waitForRun(db, launched.id, settled, 60_000);
      expect(refused.status).toBe("FAILED");
      expect(refused.errorMessage).toBe(
        'could not provision secrets: secret API_TOKEN (user secret): its value contains a double quote ("), which Nextflow cannot deliver intact to a task; encode the value as base64 and decode it in the pipeline',
      );
      expect(refused.provisionedAt).toBeNull();
      expect(refused.executorRef).toBeNull();
      expect(existsSync(join(workDir, launched.id, "secrets"))).toBe(false);
      expect(existsSync(join(workDir, launched.id, "head.sh"))).toBe(false);
      const audit = (await listAuditEvents(db, { workspaceId: ws.id, limit: 50 })).filter(
        (e) => e.runId === launched.id,
      );
      const refusal = audit.find((e) => e.action === "secrets.refused");
      expect(refusal?.detail).toEqual({
        names: ["API_TOKEN (user secret)"],
        rules: [expect.stringMatching(/^contains a double quote/)],
      });
      expect(audit.map((e) => e.action)).not.toContain("secrets.provisioned");

      // Positive control: the same launch after overwriting the value with a good one runs, and the value arrives.
      await asLauncher.userSecrets.update({
        secretId: mine.id,
        value: { sealed: await sealInClient(asLauncher, good, userBinding("API_TOKEN")) },
      });
      const rerun = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
      const done = await waitForRun(db, rerun.id, settled, 180_000);
      expect([done.status, done.secretsState, done.errorMessage]).toEqual(["SUCCEEDED", "DELETED", null]);
      expect(readFileSync(join(done.runDir!, "results", "api_token.sha256"), "utf8").trim()).toBe(sha(good));

      const everything = [
        refused.errorMessage!,
        JSON.stringify(audit),
        JSON.stringify(await readRunLog(db, rerun.id, 0, 1000).catch(() => [])),
        logLines.join("\n"),
        await everythingRedisHolds(),
      ];
      for (const text of everything) expect(text).not.toContain(marker);
    },
  );
});
