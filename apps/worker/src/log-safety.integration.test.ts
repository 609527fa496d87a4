import { createHash, randomUUID } from "node:crypto";
import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  appendRunLog,
  createDatabase,
  createUserWithPersonalWorkspace,
  listAuditEvents,
  readRunLog,
  type TRun,
} from "@lockstep/db";
import { installNextflow, LOG_MAX_STORED_LINES, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import { MASK } from "@lockstep/redact";
import { childBaseEnv } from "./env";
import type { TRuntime } from "./runtime";
import { orgWorkspace } from "@lockstep/vitest-config/fixtures";
import { apiCaller, settled, testKeys, waitForRun } from "./test/fixtures";
import { startWorkers, type TWorkers } from "./worker";

/**
 * What a pipeline prints, and what it plants in its run directory, through the real worker and a
 * real Nextflow on the local executor: no byte sequence wedges the run, no value survives in the
 * stored log or in the run's files, and no planted link makes the worker read or write elsewhere.
 */
const root = resolve(import.meta.dirname, "../../..");
const fixtures = join(root, "e2e/fixtures/pipelines");
const prefix = `it-logs-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "info" }, { write: (line: string) => void logLines.push(line) });
const workDir = mkdtempSync(join(tmpdir(), "lockstep-logruns-"));
chmodSync(workDir, 0o755);

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys("logs");
let workers: TWorkers;

beforeAll(async () => {
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  const runtime: TRuntime = {
    baseEnv: childBaseEnv(),
    monitorIntervalMs: 500,
    nextflowLib: async () => libDir,
    localPipelineRoots: [fixtures],
  };
  workers = startWorkers({ db, keys, queues, runtime, connection: redis, prefix, logger, concurrency: 2 });
}, 600_000);

afterAll(async () => {
  await workers?.close();
  await queues.close();
  await Promise.all([redis.quit(), producer.quit()]);
  await close();
  rmSync(workDir, { recursive: true, force: true });
});

/** A value that every encoder writes differently: a space, "/", "+", a non-ASCII letter. */
const newValue = () => `db MARKER/${randomUUID()}+ä`;

/** The forms the pipelines print the value in (base64 of a whole store is checked by its output line). */
function formsOf(value: string): string[] {
  const b = Buffer.from(value);
  return [
    value,
    b.toString("base64"),
    b.toString("base64url"),
    b.toString("hex"),
    encodeURIComponent(value),
    new URLSearchParams({ v: value }).toString().slice(2),
  ];
}

async function launch(pipeline: string, params: Record<string, string | number> = {}) {
  const owner = (await createUserWithPersonalWorkspace(db, {
    email: `owner-${randomUUID()}@example.test`,
    name: "Owner",
    passwordHash: null,
  }))!;
  const { ws, asOwner } = await orgWorkspace(db, (userId) => apiCaller({ db, redis: producer, queues, keys }, userId), {
    owner,
    participants: {},
    roles: {},
    org: { name: "Logs", slug: `logs-${owner.id.slice(0, 8)}` },
    workspaceName: "Log safety",
  });
  const ce = await asOwner.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const value = newValue();
  await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: value } });
  const p = await asOwner.pipelines.create({
    workspaceId: ws.id,
    pipeline: {
      name: pipeline,
      repository: join(fixtures, pipeline),
      defaultComputeEnvId: ce.id,
      defaultParams: params,
    },
  });
  const launched = await asOwner.runs.launch({ workspaceId: ws.id, pipelineId: p.id });
  return { ws, value, runId: launched.id };
}

/** Every regular file under the run directory (links and FIFOs are not followed or opened). */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

function expectNowhere(run: TRun, stored: string[], forms: string[]) {
  const log = stored.join("\n");
  for (const form of forms) expect(log, "stored log").not.toContain(form);
  for (const file of filesUnder(run.runDir!)) {
    const bytes = readFileSync(file);
    for (const form of forms)
      expect(bytes.includes(Buffer.from(form)), `${file} holds a form of the value`).toBe(false);
  }
  const workerLog = logLines.join("\n");
  for (const form of forms) expect(workerLog, "worker log").not.toContain(form);
}

describe("output no log store should choke on", () => {
  it(
    "NUL, invalid UTF-8, a 10 MB line and a flood: the run ends, its secrets are deleted, no value is left",
    { timeout: 420_000 },
    async () => {
      const { ws, value, runId } = await launch("hostile-output", { flood: 30_000 });
      const run = await waitForRun(db, runId, settled, 360_000);
      expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
      // The value was delivered (its hash was published)…
      expect(readFileSync(join(run.runDir!, "results", "db_password.sha256"), "utf8").trim()).toBe(
        createHash("sha256").update(value).digest("hex"),
      );

      const stored = (await readRunLog(db, run.id, 0, 50_000)).map((l) => l.line);
      // …and printed, in each form, where the log shows the mask instead.
      for (const label of ["plain", "b64", "hex", "url", "form", "b64url"])
        expect(stored, label).toContain(`${label} ${MASK}`);
      expect(stored.find((l) => l.startsWith("store "))).toContain(MASK);
      // Bytes Postgres refuses are stored as visible markers. (Positive control: the raw line is
      // refused, which is what kept such a run RUNNING forever.)
      await expect(appendRunLog(db, run.id, ["nul:\u0000:end"])).rejects.toThrow();
      expect(stored).toContain("nul:␀:end");
      expect(stored).toContain("bad:\ufffd\ufffd\ufffd:end");
      // The 10 MB line: its first 16 KiB and how much was dropped (the value in its middle is gone with the rest).
      const long = stored.find((l) => l.startsWith("yyyy"));
      expect(long).toMatch(/^y{16384} \[… line longer than 16 KiB: 9\d{6} bytes dropped\]$/);
      // The flood: at most the cap, then one marker.
      expect(stored.length).toBe(LOG_MAX_STORED_LINES + 1);
      expect(stored.at(-1)).toMatch(/^\[Lockstep stores the first 20000 lines/);

      // The files: the console keeps everything but the values; the task logs too.
      const consoleLog = readFileSync(join(run.runDir!, "console.log"));
      expect(consoleLog.includes(Buffer.from("30000\n"))).toBe(true);
      expect(statSync(join(run.runDir!, "console.log")).size).toBeGreaterThan(10_000_000);
      expectNowhere(run, stored, formsOf(value));

      expect(run.redaction).toMatchObject({ files: expect.any(Number), scannedFiles: expect.any(Number) });
      // console.log, .command.out and .command.log each hold the 8 printed forms (+1 inside the store dump), .command.err one.
      expect(run.redaction!.occurrences).toBeGreaterThanOrEqual(3 * 8 + 1);
      expect(run.redaction!.files).toBeGreaterThanOrEqual(4);
      const [audited] = await listAuditEvents(db, { workspaceId: ws.id, action: "run.redacted", limit: 5 });
      expect(audited?.detail).toMatchObject({
        occurrences: run.redaction!.occurrences,
        files: run.redaction!.files,
        refusedFiles: 0,
        complete: true,
      });
      expect(JSON.stringify(audited)).not.toContain(value);
    },
  );
});

describe("links and FIFOs a pipeline plants in its run directory", () => {
  it(
    "the worker reads nothing through them, writes nothing through them, and the run still ends with its secrets deleted",
    { timeout: 300_000 },
    async () => {
      const outside = mkdtempSync(join(tmpdir(), "lockstep-worker-own-"));
      const target = join(outside, "keys.env");
      const secretOfTheWorker = `LOCKSTEP_OPEN_KEYS=private-MARKER-${randomUUID()}`;
      const { value, runId } = await launch("plants-links", { target });
      writeFileSync(target, `${secretOfTheWorker}\n${value}\n`, { mode: 0o600 });
      try {
        const run = await waitForRun(db, runId, settled, 240_000);
        expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
        // Positive control: the plants are there, and a plain read of console.log gets the target.
        expect(lstatSync(join(run.runDir!, "console.log")).isSymbolicLink()).toBe(true);
        expect(lstatSync(join(run.runDir!, "nextflow.log.1")).isFIFO()).toBe(true);
        // The hard link cannot even be planted: the sandbox shows the run nothing of the worker's files.
        // (The worker's refusal of hard links is covered by packages/launcher/src/safe-file.test.ts.)
        expect(existsSync(join(run.runDir!, "trace.tsv")) ? statSync(join(run.runDir!, "trace.tsv")).nlink : 1).toBe(1);
        expect(readFileSync(join(run.runDir!, "console.log"), "utf8")).toContain(secretOfTheWorker);

        const stored = (await readRunLog(db, run.id, 0, 50_000)).map((l) => l.line).join("\n");
        expect(stored).not.toContain(secretOfTheWorker);
        // Not rewritten through the links either: the value in the target is still there, byte for byte.
        expect(readFileSync(target, "utf8")).toBe(`${secretOfTheWorker}\n${value}\n`);
        // The task's own output was redacted.
        const out = filesUnder(join(run.runDir!, "work")).find((f) => f.endsWith(".command.out"))!;
        expect(readFileSync(out, "utf8")).toMatch(/^leaking \*+\n$/);
        expect(run.redaction?.occurrences).toBeGreaterThanOrEqual(1);
        expect(logLines.some((l) => l.includes(runId) && l.includes("UnsafeRunFileError"))).toBe(true);
        expect(logLines.join("\n")).not.toContain(secretOfTheWorker);
      } finally {
        rmSync(outside, { recursive: true, force: true });
      }
    },
  );
});
