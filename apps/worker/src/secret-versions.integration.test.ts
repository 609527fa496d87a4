import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { receiptCsv, RECEIPT_CSV_COLUMNS } from "@lockstep/api";
import { createDatabase, getRun } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import { nextflowFileProvider } from "@lockstep/secrets";
import { childBaseEnv } from "./env";
import type { TRuntime } from "./runtime";
import { settled, testKeys, waitForRun, workspaceWithLauncher } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/**
 * Issue 16 with the real worker, Postgres, Redis and Nextflow: a default launch provisions exactly
 * the secrets the pipeline needs; the worker records the version of each and a keyed fingerprint
 * (HMAC under its own key); the secrets list names the run that last used each; a later run says
 * what changed and whether a value is the same as before. And the deletion receipt (JSON and CSV)
 * matches what the provider's own listing showed before and after the deletion.
 */
const root = resolve(import.meta.dirname, "../../..");
const prefix = `it-sver-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
const workDir = mkdtempSync(join(tmpdir(), "lockstep-sver-"));
chmodSync(workDir, 0o755);

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const connection = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys(`sver-${prefix}`);
const deps = { db, redis: producer, queues, keys };
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

async function setup(pipelineName: string, defaultParams: Record<string, string | number> = {}) {
  const { ws, asOwner, asLauncher } = await workspaceWithLauncher(deps, {
    org: "Versions",
    slug: "sver",
    workspace: "Versions",
  });
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const pipeline = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: {
      name: pipelineName,
      repository: join(root, "e2e/fixtures/pipelines", pipelineName),
      defaultComputeEnvId: ce.id,
      defaultParams,
    },
  });
  return { ws, pipeline, asOwner, asLauncher };
}

const waitFor = (runId: string, done: Parameters<typeof waitForRun>[2], ms = 180_000) =>
  waitForRun(db, runId, done, ms);

describe("which version of each secret a run received", () => {
  it(
    "a default launch provisions exactly the needed set, recording versions and keyed fingerprints; a later run tells what changed and what is the same",
    { timeout: 360_000 },
    async () => {
      const { ws, pipeline, asOwner, asLauncher } = await setup("secrets-hash");
      const values = {
        db1: `db1-${randomUUID()}`,
        db2: `db2-${randomUUID()}`,
        token: `tok-${randomUUID()}`,
        other: `other-${randomUUID()}`,
        mine: `mine-${randomUUID()}`,
      };
      const dbSecret = await asOwner.secrets.create({
        workspaceId: ws.id,
        name: "DB_PASSWORD",
        value: { plain: values.db1 },
      });
      const tokSecret = await asOwner.secrets.create({
        workspaceId: ws.id,
        name: "API_TOKEN",
        value: { plain: values.token },
      });
      await asOwner.secrets.create({ workspaceId: ws.id, name: "UNRELATED_WS", value: { plain: values.other } });
      await asLauncher.userSecrets.create({ name: "MY_OTHER", value: { plain: values.mine } });

      // No selection: what the pipeline needs (DB_PASSWORD, API_TOKEN), nothing else reaches the run.
      const a = await waitFor(
        (await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })).id,
        settled,
      );
      expect([a.status, a.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
      expect(a.secretVersions.map((v) => `${v.name}:${v.source}:v${v.version}`).sort()).toEqual([
        "API_TOKEN:workspace:v1",
        "DB_PASSWORD:workspace:v1",
      ]);
      // The fingerprints are HMACs under the worker's key: equal to what that key makes of the values.
      const fp = Object.fromEntries(a.secretVersions.map((v) => [v.name, v.fingerprint]));
      expect(fp.DB_PASSWORD).toEqual(keys.fingerprint.of(values.db1));
      expect(fp.API_TOKEN).toEqual(keys.fingerprint.of(values.token));

      // The audit event says which versions went out (names and numbers only).
      const provisioned = (await asOwner.audit.list({ workspaceId: ws.id, limit: 50 })).items.find(
        (e) => e.action === "secrets.provisioned" && e.runId === a.id,
      )!;
      expect([...(provisioned.detail.versions as string[])].sort()).toEqual(["API_TOKEN v1", "DB_PASSWORD v1"]);

      // The secrets list names the run that last used each one (and no run for the one left home).
      const listed = Object.fromEntries(
        (await asOwner.secrets.list({ workspaceId: ws.id })).map((s) => [s.name, s.lastUsedRun?.id ?? null]),
      );
      expect(listed).toEqual({ API_TOKEN: a.id, DB_PASSWORD: a.id, UNRELATED_WS: null });
      expect((await asLauncher.userSecrets.list()).find((s) => s.name === "MY_OTHER")!.lastUsedRun).toBeNull();

      // DB_PASSWORD gets a new value, API_TOKEN the same value again: both are new versions.
      await asOwner.secrets.update({ workspaceId: ws.id, secretId: dbSecret.id, value: { plain: values.db2 } });
      await asOwner.secrets.update({ workspaceId: ws.id, secretId: tokSecret.id, value: { plain: values.token } });
      const relaunchCheck = await asLauncher.runs.secretVersions({ workspaceId: ws.id, runId: a.id });
      expect(relaunchCheck.secrets.map((s) => [s.name, s.version, s.currentVersion, s.changed]).sort()).toEqual([
        ["API_TOKEN", 1, 2, true],
        ["DB_PASSWORD", 1, 2, true],
      ]);

      const b = await waitFor(
        (await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id })).id,
        settled,
      );
      expect(b.status).toBe("SUCCEEDED");
      const compared = await asLauncher.runs.secretVersions({ workspaceId: ws.id, runId: b.id, sameAs: a.id });
      expect(compared.secrets.map((s) => [s.name, s.version, s.changed, s.sameValue]).sort()).toEqual([
        ["API_TOKEN", 2, false, true],
        ["DB_PASSWORD", 2, false, false],
      ]);
      expect(
        Object.fromEntries(
          (await asOwner.secrets.list({ workspaceId: ws.id })).map((s) => [s.name, s.lastUsedRun?.id ?? null]),
        ),
      ).toMatchObject({ API_TOKEN: b.id, DB_PASSWORD: b.id });

      // Neither a value nor a fingerprint in anything the API returned or the worker logged.
      const seen =
        JSON.stringify([
          relaunchCheck,
          compared,
          await asOwner.runs.get({ workspaceId: ws.id, runId: b.id }),
          await asOwner.runs.receipt({ workspaceId: ws.id, runId: b.id }),
        ]) + logLines.join("");
      for (const v of Object.values(values)) expect(seen).not.toContain(v);
      for (const v of [...a.secretVersions, ...(await getRun(db, b.id))!.secretVersions])
        expect(seen).not.toContain(v.fingerprint.mac);
    },
  );
});

describe("what the pinned Nextflow says of a pipeline's config", () => {
  it(
    "is asked by the worker when a pipeline is saved, and a name only Nextflow sees is needed at launch",
    { timeout: 240_000 },
    async () => {
      const { ws, pipeline, asOwner } = await setup("config-include");
      // The scanner alone cannot see INCLUDED_KEY (set in an included conf/keys.cfg).
      expect(pipeline.secretNeedsText).not.toContain("INCLUDED_KEY");
      const deadline = Date.now() + 180_000;
      let checked = await asOwner.pipelines.get({ workspaceId: ws.id, pipelineId: pipeline.id });
      while (
        checked.nextflowCheck?.state !== "checked" &&
        checked.nextflowCheck?.state !== "failed" &&
        Date.now() < deadline
      ) {
        await new Promise((r) => setTimeout(r, 1000));
        checked = await asOwner.pipelines.get({ workspaceId: ws.id, pipelineId: pipeline.id });
      }
      expect(checked.nextflowCheck).toMatchObject({
        state: "checked",
        version: NEXTFLOW_VERSION,
        names: ["INCLUDED_KEY"],
      });
      expect(checked.secretNeedsText).toBe("needs (config: INCLUDED_KEY)");
      // A default launch now asks for it: missing, so refused, naming it.
      const refused = await asOwner.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id }).then(
        () => null,
        (e: unknown) => (e as Error).message,
      );
      expect(refused).toContain("INCLUDED_KEY");
      // With the value stored, the same launch sends exactly it.
      await asOwner.secrets.create({
        workspaceId: ws.id,
        name: "INCLUDED_KEY",
        value: { plain: `inc-${randomUUID()}` },
      });
      const run = await asOwner.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
      expect(run.secretNames).toEqual([{ name: "INCLUDED_KEY", source: "workspace" }]);
      await waitFor(run.id, settled);
    },
  );
});

/** RFC 4180 reader (independent of the writer). */
function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ""])));
}

describe("the deletion receipt against the provider's own listing", () => {
  it(
    "JSON and CSV list the copies the store listing showed while the run held them, and the listing after deletion shows none",
    { timeout: 300_000 },
    async () => {
      const { ws, pipeline, asOwner, asLauncher } = await setup("sleeps", { seconds: 600 });
      await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: `db-${randomUUID()}` } });
      const launched = await asLauncher.runs.launch({ workspaceId: ws.id, pipelineId: pipeline.id });
      const running = await waitFor(launched.id, (r) => r.status === "RUNNING" && r.secretsState === "PROVISIONED");
      // The provider's own listing (the store directory of each run), and that directory's files, while the run holds them.
      const provider = nextflowFileProvider({ runsDir: workDir });
      const before = (await provider.listManaged()).filter((c) => c.runId === running.id);
      expect(before).toHaveLength(1);
      const filesBefore = readdirSync(before[0]!.location).map((f) => join(before[0]!.location, f));

      await asLauncher.runs.cancel({ workspaceId: ws.id, runId: running.id });
      const done = await waitFor(running.id, settled);
      expect([done.status, done.secretsState]).toEqual(["CANCELLED", "DELETED"]);
      const after = (await provider.listManaged()).filter((c) => c.runId === running.id);
      expect(after).toEqual([]);
      expect(existsSync(before[0]!.location)).toBe(false);

      const receipt = await asOwner.runs.receipt({ workspaceId: ws.id, runId: running.id });
      // The store the receipt names is the location the provider listed; every copy it lists was in that listing.
      expect(receipt.store).toBe(before[0]!.location);
      expect(receipt.copies.length).toBeGreaterThan(0);
      for (const c of receipt.copies) expect(filesBefore).toContain(c.location);
      expect(receipt.copies.every((c) => c.goneAt !== null && c.verifiedBy === "list-after-delete")).toBe(true);
      expect(receipt.deletion.verified).toBe(true);

      // The CSV says the same, row for copy.
      const rows = parseCsv(receiptCsv(receipt));
      expect(Object.keys(rows[0]!)).toEqual([...RECEIPT_CSV_COLUMNS]);
      expect(
        rows.map((r) => [r.location, r.written_at, r.gone_at, r.verified_by, r.store, r.provider, r.deletion_verified]),
      ).toEqual(
        receipt.copies.map((c) => [
          c.location,
          c.writtenAt,
          c.goneAt,
          c.verifiedBy,
          before[0]!.location,
          "nextflow-file",
          "true",
        ]),
      );
      // Written while the run was provisioned, gone no earlier than it ended (when the listing came back empty).
      for (const r of rows) {
        expect(new Date(r.written_at!).getTime()).toBeLessThanOrEqual(running.provisionedAt!.getTime());
        expect(new Date(r.gone_at!).getTime()).toBeGreaterThanOrEqual(done.finishedAt!.getTime());
      }
    },
  );
});
