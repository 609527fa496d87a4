import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { formatKeySpecs, generateKeyPair, SealingKeyring } from "@lockstep/crypto";
import { createDatabase, createUserWithPersonalWorkspace, type TRun } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis, type TQueues } from "@lockstep/queue";
import { freePort, startSlurm, type TStartedSlurm } from "@lockstep/devstack";
import { childBaseEnv } from "./env";
import { addParticipant, apiCaller, makeInstanceAdmin, settled, waitForRun } from "./test/fixtures";

/**
 * The hostile-pipeline suite (issue #10, docs/security.md): a pipeline registered by an admin and
 * launched by a user with only the `launch` role tries every way out of its run — /proc/*‌/environ
 * of every process and of its parent chain, the worker's keys file and data directory, Postgres and
 * Redis with guessed credentials, `find` for other runs' secret stores while another tenant's run
 * is live, and that run's directory. Real worker processes (apps/worker/src/main.ts, as in
 * production, with the environment a deployment gives them), real Nextflow, real Slurm.
 *
 * The assertion: nothing private to Lockstep appears anywhere the attacker can read — the run log
 * through the API, the run's files and its outputs. The positive control runs the same probe
 * through a worker started with the test-only unsandboxed switch and proves it finds the private
 * key, the other tenant's value and the web's NEXTAUTH_SECRET: the check can fail.
 */
const root = resolve(import.meta.dirname, "../../..");
const fixtures = join(root, "e2e/fixtures/pipelines");
const isRoot = process.getuid?.() === 0;

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const redis = createRedis(inject("redisUrl"), "worker");
const pair = await generateKeyPair("hostile");
const sealing = await SealingKeyring.fromSpec(formatKeySpecs([{ kid: pair.kid, key: pair.publicKey }]));
const keys = { sealing };

// A data directory laid out as `npm start` lays it out, with the keys file the worker reads.
const dataDir = mkdtempSync(join(tmpdir(), "lockstep-hostile-data-"));
chmodSync(dataDir, 0o711);
const keysFile = join(dataDir, "worker-open-keys");
writeFileSync(keysFile, `${formatKeySpecs([{ kid: pair.kid, key: pair.privateKey }])}\n`, { mode: 0o600 });
const nextauthCanary = `nextauth-CANARY-${randomBytes(16).toString("hex")}`;
writeFileSync(join(dataDir, "dev-keys.json"), JSON.stringify({ openKeys: pair.privateKey, authSecret: nextauthCanary }), { mode: 0o600 });
const workDir = mkdtempSync(join(tmpdir(), "lockstep-hostile-runs-"));
chmodSync(workDir, 0o711);

const urlPassword = (url: string) => decodeURIComponent(new URL(url).password);
const dbPassword = urlPassword(inject("databaseUrl"));
const redisPassword = urlPassword(inject("redisUrl"));
const ports = { pg: new URL(inject("databaseUrl")).port, redis: new URL(inject("redisUrl")).port };

let slurm: TStartedSlurm | null = null;
const processes: ChildProcess[] = [];
const queueSets: TQueues[] = [];

/** A real worker process, configured as a deployment configures it. */
async function startWorker(prefix: string, extra: Record<string, string> = {}) {
  const logs: string[] = [];
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: join(root, "apps/worker"),
    env: {
      ...childBaseEnv(),
      ...(slurm ? { SLURM_CONF: slurm.conf } : {}),
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      LOCKSTEP_QUEUE_PREFIX: prefix,
      LOCKSTEP_SEAL_KEYS: formatKeySpecs([{ kid: pair.kid, key: pair.publicKey }]),
      LOCKSTEP_OPEN_KEYS_FILE: keysFile,
      LOCKSTEP_DATA_DIR: dataDir,
      LOCKSTEP_LOCAL_PIPELINE_ROOTS: fixtures,
      LOCKSTEP_NEXTFLOW_CACHE: join(homedir(), ".cache/lockstep/nextflow"),
      WORKER_PORT: String(await freePort()),
      MONITOR_INTERVAL_MS: "500",
      SWEEP_INTERVAL_MS: "60000",
      LOG_LEVEL: "info",
      ...extra,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout!.on("data", (d: Buffer) => logs.push(d.toString("utf8")));
  child.stderr!.on("data", (d: Buffer) => logs.push(d.toString("utf8")));
  processes.push(child);
  const queues = createQueues(redis, prefix);
  queueSets.push(queues);
  return { queues, logs };
}

let sandboxed: Awaited<ReturnType<typeof startWorker>>;
let unsandboxed: Awaited<ReturnType<typeof startWorker>>;

beforeAll(async () => {
  installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  if (isRoot) slurm = await startSlurm(mkdtempSync(join(tmpdir(), "lockstep-hostile-slurm-")));
  // The web process holds NEXTAUTH_SECRET in its environment; a stand-in with the same uid.
  const web = spawn("sleep", ["600"], { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", NEXTAUTH_SECRET: nextauthCanary, DATABASE_URL: inject("databaseUrl") }, stdio: "ignore" });
  processes.push(web);
  sandboxed = await startWorker(`it-hostile-${randomUUID().slice(0, 8)}`);
  unsandboxed = await startWorker(`it-hostile-ctl-${randomUUID().slice(0, 8)}`, { NODE_ENV: "test", LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS: "positive-control" });
}, 600_000);

afterAll(async () => {
  for (const p of processes) p.kill("SIGTERM");
  await Promise.all(queueSets.map((q) => q.close()));
  await slurm?.stop();
  await redis.quit();
  await close();
  rmSync(workDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

const waitFor = (runId: string, done: (run: TRun) => boolean, timeoutMs = 240_000) => waitForRun(db, runId, done, timeoutMs);

/**
 * An admin's org with a local and a Slurm compute environment and the hostile pipeline; the
 * attacker is a participant with the `launch` role only. A second org (the victim tenant) runs a
 * long pipeline that holds its secret in a live store.
 */
async function world(queues: TQueues) {
  const caller = (userId: string) => apiCaller({ db, redis, queues, keys }, userId);
  const user = async (label: string, admin = false) => {
    const u = (await createUserWithPersonalWorkspace(db, { email: `${label}-${randomUUID()}@example.test`, name: label, passwordHash: null }))!;
    if (admin) await makeInstanceAdmin(db, u.id);
    return u;
  };
  const admin = await user("admin", true);
  const attacker = await user("attacker");
  const victim = await user("victim", true);
  const asAdmin = caller(admin.id);
  const org = await asAdmin.orgs.create({ name: "Shared", slug: `shared-${admin.id.slice(0, 8)}` });
  const ws = await asAdmin.workspaces.create({ orgId: org.id, name: "Shared" });
  await addParticipant({ db, redis, queues, keys }, asAdmin, { workspaceId: ws.id, user: attacker, role: "launch" });
  const local = await asAdmin.computeEnvs.create({ workspaceId: ws.id, computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION } });
  const slurmCe = slurm
    ? await asAdmin.computeEnvs.create({
        workspaceId: ws.id,
        computeEnv: { kind: "slurm", name: "Slurm", workDir, nextflowVersion: NEXTFLOW_VERSION, config: { partition: slurm.partition, sbatchOptions: [] } },
      })
    : null;
  // The attacker's own workspace secret, so its run has a store of its own too.
  const ownValue = `own-MARKER-${randomUUID()}`;
  await asAdmin.secrets.create({ workspaceId: ws.id, name: "OWN_TOKEN", value: { plain: ownValue } });

  const asVictim = caller(victim.id);
  const vorg = await asVictim.orgs.create({ name: "Victim", slug: `victim-${victim.id.slice(0, 8)}` });
  const vws = await asVictim.workspaces.create({ orgId: vorg.id, name: "Victim" });
  const vce = await asVictim.computeEnvs.create({ workspaceId: vws.id, computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION } });
  const victimValue = `victim-MARKER-${randomUUID()}`;
  await asVictim.secrets.create({ workspaceId: vws.id, name: "DB_PASSWORD", value: { plain: victimValue } });
  const sleeper = await asVictim.pipelines.create({
    workspaceId: vws.id,
    pipeline: { name: "sleeps", repository: join(fixtures, "sleeps"), defaultComputeEnvId: vce.id, defaultParams: { seconds: 120 } },
  });
  const victimRun = await asVictim.runs.launch({ workspaceId: vws.id, pipelineId: sleeper.id });
  const probe = async (computeEnvId: string, victimRunDir: string) => {
    const p = await asAdmin.pipelines.create({
      workspaceId: ws.id,
      pipeline: {
        name: `probe-${randomUUID().slice(0, 6)}`,
        repository: join(fixtures, "hostile-probe"),
        defaultComputeEnvId: computeEnvId,
        defaultParams: { keysFile, dataDir, victimRunDir, pgPort: ports.pg, redisPort: ports.redis },
      },
    });
    const asAttacker = caller(attacker.id);
    const launched = await asAttacker.runs.launch({ workspaceId: ws.id, pipelineId: p.id });
    const run = await waitFor(launched.id, settled);
    const log = (await asAttacker.runs.logs({ workspaceId: ws.id, runId: run.id, limit: 2000 })).lines.map((l) => l.line).join("\n");
    return { run, log, files: readTree(run.runDir!) };
  };
  return { victimRun, victimValue, ownValue, local, slurmCe, probe, asVictim, vws };
}

/** Every regular file under the run directory (as the attacker's own outputs), concatenated. */
function readTree(dir: string): string {
  const parts: string[] = [];
  const walk = (d: string, depth: number) => {
    if (depth > 12) return;
    for (const entry of readdirSync(d)) {
      const path = join(d, entry);
      const info = lstatSync(path);
      if (info.isDirectory()) walk(path, depth + 1);
      else if (info.isFile() && info.size < 8 << 20) parts.push(`== ${path}\n${readFileSync(path, "latin1")}`);
    }
  };
  if (existsSync(dir)) walk(dir, 0);
  return parts.join("\n");
}

/** What the attacker must never see. */
const privates = (victimValue: string) => ({
  "the private key": pair.privateKey,
  "the other tenant's secret": victimValue,
  "the web's NEXTAUTH_SECRET": nextauthCanary,
  "the Postgres password": dbPassword,
  "the Redis password": redisPassword,
});

async function victimStoreLive(victimRunId: string) {
  const run = await waitFor(victimRunId, (r) => r.status === "RUNNING" && r.secretsState === "PROVISIONED" && existsSync(join(r.runDir!, "secrets", "store.json")), 180_000);
  return run.runDir!;
}

describe("a hostile pipeline launched by a launch-role user", () => {
  it("finds nothing private to Lockstep from a sandboxed local run", { timeout: 480_000 }, async () => {
    const w = await world(sandboxed.queues);
    const victimRunDir = await victimStoreLive(w.victimRun.id);
    const { run, log, files } = await w.probe(w.local.id, victimRunDir);
    // The probe really ran (head and task), as an unprivileged uid of its own when the worker is root.
    expect(log).toContain("HEAD-PROBE uid:");
    expect(files).toContain("TASK-PROBE done");
    if (isRoot) {
      expect(run.runUid).not.toBeNull();
      expect(log).toMatch(new RegExp(`HEAD-PROBE uid: uid=${1_900_000_000 + run.runUid!}\\b`));
      expect(files).toMatch(/TASK-PROBE id: uid=19\d{8}\b/);
    }
    // Only the run's own processes are visible.
    expect(Number(/TASK-PROBE processes: (\d+)/.exec(files)?.[1])).toBeLessThan(20);
    const everything = `${log}\n${files}\n${sandboxed.logs.join("")}`;
    for (const [what, value] of Object.entries(privates(w.victimValue))) {
      expect(everything.includes(value), `${what} reached the attacker`).toBe(false);
    }
    expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
    const victim = await waitFor(w.victimRun.id, (r) => r.status === "RUNNING");
    expect(victim.status).toBe("RUNNING"); // the probe did not disturb the other tenant
    await w.asVictim.runs.cancel({ workspaceId: w.vws.id, runId: w.victimRun.id });
    await waitFor(w.victimRun.id, settled);
  });

  it.runIf(isRoot)("finds nothing private to Lockstep from a sandboxed host-Slurm run", { timeout: 480_000 }, async () => {
    const w = await world(sandboxed.queues);
    const victimRunDir = await victimStoreLive(w.victimRun.id);
    const { run, log, files } = await w.probe(w.slurmCe!.id, victimRunDir);
    expect(log).toContain("HEAD-PROBE uid:");
    expect(files).toContain("TASK-PROBE done");
    const runUser = spawnSync("id", ["-u", "lockstep-run"], { encoding: "utf8" }).stdout.trim();
    expect(log).toContain(`HEAD-PROBE uid: uid=${runUser}`);
    const everything = `${log}\n${files}\n${sandboxed.logs.join("")}`;
    for (const [what, value] of Object.entries(privates(w.victimValue))) {
      expect(everything.includes(value), `${what} reached the attacker`).toBe(false);
    }
    expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
    await w.asVictim.runs.cancel({ workspaceId: w.vws.id, runId: w.victimRun.id });
    await waitFor(w.victimRun.id, settled);
  });

  it("positive control: the same probe without the sandbox finds the key, the other tenant's value and NEXTAUTH_SECRET", { timeout: 480_000 }, async () => {
    const w = await world(unsandboxed.queues);
    const victimRunDir = await victimStoreLive(w.victimRun.id);
    const { log, files } = await w.probe(w.local.id, victimRunDir);
    const everything = `${log}\n${files}`;
    expect(everything).toContain(pair.privateKey);
    expect(everything).toContain(w.victimValue);
    expect(everything).toContain(nextauthCanary);
    expect(unsandboxed.logs.join("")).toContain("WITHOUT a sandbox");
    await w.asVictim.runs.cancel({ workspaceId: w.vws.id, runId: w.victimRun.id });
    await waitFor(w.victimRun.id, settled);
  });
});

describe("the worker's keys", () => {
  it("refuses a keys file others can read, and LOCKSTEP_OPEN_KEYS in its environment", { timeout: 60_000 }, async () => {
    const exposed = join(mkdtempSync(join(tmpdir(), "lockstep-exposed-")), "keys");
    writeFileSync(exposed, formatKeySpecs([{ kid: pair.kid, key: pair.privateKey }]), { mode: 0o644 });
    chmodSync(exposed, 0o644);
    const boot = (env: Record<string, string>) =>
      spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
        cwd: join(root, "apps/worker"),
        env: { ...childBaseEnv(), DATABASE_URL: inject("databaseUrl"), REDIS_URL: inject("redisUrl"), LOCKSTEP_SEAL_KEYS: formatKeySpecs([{ kid: pair.kid, key: pair.publicKey }]), WORKER_PORT: "1", ...env },
        encoding: "utf8",
        timeout: 30_000,
      });
    const wide = boot({ LOCKSTEP_OPEN_KEYS_FILE: exposed });
    expect(wide.status).not.toBe(0);
    expect(wide.stdout + wide.stderr).toContain("is readable by others (mode 644)");
    const fromEnv = boot({ LOCKSTEP_OPEN_KEYS_FILE: keysFile, LOCKSTEP_OPEN_KEYS: formatKeySpecs([{ kid: pair.kid, key: pair.privateKey }]) });
    expect(fromEnv.status).not.toBe(0);
    expect(fromEnv.stdout + fromEnv.stderr).toContain("LOCKSTEP_OPEN_KEYS is no longer read from the environment");
    // Neither refusal prints the key.
    expect(wide.stdout + wide.stderr + fromEnv.stdout + fromEnv.stderr).not.toContain(pair.privateKey);
  });
});
