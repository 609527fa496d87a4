import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import {
  chmodSync,
  chownSync,
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, createUserWithPersonalWorkspace, getRun, type TRun } from "@lockstep/db";
import { installNextflow, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createQueues, createRedis, type TQueues } from "@lockstep/queue";
import { freePort, startSlurm, type TStartedSlurm } from "@lockstep/devstack";
import { childBaseEnv } from "./env";
import { apiCaller, makeInstanceAdmin, settled, testKeys, waitForRun } from "./test/fixtures";
import { orgWorkspace } from "@lockstep/vitest-config/fixtures";

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
const keys = await testKeys("hostile");
const { fingerprintSpec } = keys;

const nextauthCanary = `nextauth-CANARY-${randomBytes(16).toString("hex")}`;
const cleanups: Array<() => void> = [];

/**
 * Where a worker keeps its things, laid out as `npm start` lays them out: a data directory with the
 * keys file and dev keys, a runs directory, a Nextflow cache — all owned by the worker's uid.
 */
type TPlace = {
  dataDir: string;
  keysFile: string;
  fingerprintFile: string;
  workDir: string;
  cache: string;
  home: string;
  uid: number;
};
function placeFor(uid: number, cache: string): TPlace {
  const dataDir = mkdtempSync(join(tmpdir(), `lockstep-hostile-data-${uid}-`));
  chmodSync(dataDir, 0o711);
  const keysFile = join(dataDir, "worker-open-keys");
  writeFileSync(keysFile, `${keys.openKeys}\n`, { mode: 0o600 });
  writeFileSync(
    join(dataDir, "dev-keys.json"),
    JSON.stringify({ openKeys: keys.privateKey, authSecret: nextauthCanary }),
    { mode: 0o600 },
  );
  const fingerprintFile = join(dataDir, "worker-fingerprint-key");
  writeFileSync(fingerprintFile, `${fingerprintSpec}\n`, { mode: 0o600 });
  const workDir = mkdtempSync(join(tmpdir(), `lockstep-hostile-runs-${uid}-`));
  chmodSync(workDir, 0o711);
  const home = mkdtempSync(join(tmpdir(), `lockstep-hostile-home-${uid}-`));
  for (const path of [dataDir, keysFile, join(dataDir, "dev-keys.json"), fingerprintFile, workDir, home])
    chownSync(path, uid, uid);
  cleanups.push(() => [dataDir, workDir, home].forEach((d) => rmSync(d, { recursive: true, force: true })));
  return { dataDir, keysFile, fingerprintFile, workDir, cache, home, uid };
}

const rootPlace = placeFor(process.getuid?.() ?? 0, join(homedir(), ".cache/lockstep/nextflow"));
const { keysFile, fingerprintFile } = rootPlace;

const urlPassword = (url: string) => decodeURIComponent(new URL(url).password);
const dbPassword = urlPassword(inject("databaseUrl"));
const redisPassword = urlPassword(inject("redisUrl"));
const ports = { pg: new URL(inject("databaseUrl")).port, redis: new URL(inject("redisUrl")).port };

let slurm: TStartedSlurm | null = null;
const processes: ChildProcess[] = [];
const queueSets: TQueues[] = [];

/** A real worker process, configured as a deployment configures it, as the place's uid. */
async function startWorker(prefix: string, extra: Record<string, string> = {}, place: TPlace = rootPlace) {
  const logs: string[] = [];
  const asOther = place.uid !== process.getuid?.();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: join(root, "apps/worker"),
    ...(asOther ? { uid: place.uid, gid: place.uid } : {}),
    env: {
      ...childBaseEnv(),
      HOME: place.home,
      ...(slurm ? { SLURM_CONF: slurm.conf } : {}),
      DATABASE_URL: inject("databaseUrl"),
      REDIS_URL: inject("redisUrl"),
      LOCKSTEP_QUEUE_PREFIX: prefix,
      LOCKSTEP_SEAL_KEYS: keys.sealKeys,
      LOCKSTEP_OPEN_KEYS_FILE: place.keysFile,
      LOCKSTEP_FINGERPRINT_KEY_FILE: place.fingerprintFile,
      LOCKSTEP_DATA_DIR: place.dataDir,
      LOCKSTEP_LOCAL_PIPELINE_ROOTS: fixtures,
      LOCKSTEP_NEXTFLOW_CACHE: place.cache,
      WORKER_PORT: String(await freePort()),
      MONITOR_INTERVAL_MS: "500",
      // Workers on other queue prefixes share this database: a sweep would hand one worker's runs to another.
      SWEEP_INTERVAL_MS: "86400000",
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
  // Ready once its boot sweep is done: a sweep by a worker that starts while another's run is under
  // way would hand that run to it as well (the workers share this database, not their queues).
  const deadline = Date.now() + 120_000;
  while (
    !logs
      .join("")
      .split("\n")
      .some((l) => l.includes('"job":"runs.sweep"') && l.includes("job completed"))
  ) {
    if (Date.now() > deadline || child.exitCode !== null)
      throw new Error(`the worker did not start:\n${logs.join("").slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { queues, logs, place };
}

let sandboxed: Awaited<ReturnType<typeof startWorker>>;
let unsandboxed: Awaited<ReturnType<typeof startWorker>>;

beforeAll(async () => {
  installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  if (isRoot) slurm = await startSlurm(mkdtempSync(join(tmpdir(), "lockstep-hostile-slurm-")));
  // The web process holds NEXTAUTH_SECRET in its environment; a stand-in with the same uid.
  const web = spawn("sleep", ["600"], {
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      NEXTAUTH_SECRET: nextauthCanary,
      DATABASE_URL: inject("databaseUrl"),
    },
    stdio: "ignore",
  });
  processes.push(web);
  sandboxed = await startWorker(`it-hostile-${randomUUID().slice(0, 8)}`);
  unsandboxed = await startWorker(`it-hostile-ctl-${randomUUID().slice(0, 8)}`, {
    NODE_ENV: "test",
    LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS: "positive-control",
  });
}, 600_000);

afterAll(async () => {
  for (const p of processes) p.kill("SIGTERM");
  await Promise.all(queueSets.map((q) => q.close()));
  await slurm?.stop();
  await redis.quit();
  await close();
  for (const cleanup of cleanups) cleanup();
});

const waitFor = (runId: string, done: (run: TRun) => boolean, timeoutMs = 240_000) =>
  waitForRun(db, runId, done, timeoutMs);

/**
 * An admin's org with a local and a Slurm compute environment and the hostile pipeline; the
 * attacker is a participant with the `launch` role only. A second org (the victim tenant) runs a
 * long pipeline that holds its secret in a live store.
 */
async function world(worker: { queues: TQueues; place: TPlace }) {
  const { queues } = worker;
  const { workDir, keysFile, dataDir } = worker.place;
  const caller = (userId: string) => apiCaller({ db, redis, queues, keys }, userId);
  const user = async (label: string, admin = false) => {
    const u = (await createUserWithPersonalWorkspace(db, {
      email: `${label}-${randomUUID()}@example.test`,
      name: label,
      passwordHash: null,
    }))!;
    if (admin) await makeInstanceAdmin(db, u.id);
    return u;
  };
  const admin = await user("admin", true);
  const attacker = await user("attacker");
  const victim = await user("victim", true);
  const { ws, asOwner: asAdmin } = await orgWorkspace(db, caller, {
    owner: admin,
    participants: { attacker },
    roles: { attacker: "launch" },
    org: { name: "Shared", slug: `shared-${admin.id.slice(0, 8)}` },
    workspaceName: "Shared",
  });
  const local = await asAdmin.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const slurmCe = slurm
    ? await asAdmin.computeEnvs.create({
        workspaceId: ws.id,
        computeEnv: {
          kind: "slurm",
          name: "Slurm",
          workDir,
          nextflowVersion: NEXTFLOW_VERSION,
          config: { partition: slurm.partition, sbatchOptions: [] },
        },
      })
    : null;
  // The attacker's own workspace secret, so its run has a store of its own too.
  const ownValue = `own-MARKER-${randomUUID()}`;
  await asAdmin.secrets.create({ workspaceId: ws.id, name: "OWN_TOKEN", value: { plain: ownValue } });

  const asVictim = caller(victim.id);
  const vorg = await asVictim.orgs.create({ name: "Victim", slug: `victim-${victim.id.slice(0, 8)}` });
  const vws = await asVictim.workspaces.create({ orgId: vorg.id, name: "Victim" });
  const vce = await asVictim.computeEnvs.create({
    workspaceId: vws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const victimValue = `victim-MARKER-${randomUUID()}`;
  await asVictim.secrets.create({ workspaceId: vws.id, name: "DB_PASSWORD", value: { plain: victimValue } });
  const sleeper = await asVictim.pipelines.create({
    workspaceId: vws.id,
    pipeline: {
      name: "sleeps",
      repository: join(fixtures, "sleeps"),
      defaultComputeEnvId: vce.id,
      defaultParams: { seconds: 120 },
    },
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
    // "All": the probe declares no secret, yet its run must hold its workspace's (a store to look beside).
    const launched = await asAttacker.runs.launch({ workspaceId: ws.id, pipelineId: p.id, secrets: { mode: "all" } });
    const run = await waitFor(launched.id, settled);
    const log = (await asAttacker.runs.logs({ workspaceId: ws.id, runId: run.id, limit: 2000 })).lines
      .map((l) => l.line)
      .join("\n");
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
  "the private key": keys.privateKey,
  "the fingerprint key": fingerprintSpec.slice(fingerprintSpec.indexOf(":") + 1),
  "the other tenant's secret": victimValue,
  "the web's NEXTAUTH_SECRET": nextauthCanary,
  "the Postgres password": dbPassword,
  "the Redis password": redisPassword,
});

/** What a run printed, for failure messages (test runs only: nothing of another tenant's secrets is in a victim's console). */
function consoleTail(run: TRun): string {
  return run.runDir && existsSync(join(run.runDir, "console.log"))
    ? readFileSync(join(run.runDir, "console.log"), "utf8").slice(-3000)
    : "(no console.log)";
}

/** The probe did not disturb the other tenant: its run is still going. Then it is cancelled. */
async function victimUndisturbed(w: {
  victimRun: { id: string };
  asVictim: { runs: { cancel: (i: { workspaceId: string; runId: string }) => Promise<unknown> } };
  vws: { id: string };
}) {
  const victim = (await getRun(db, w.victimRun.id))!;
  if (victim.status !== "RUNNING")
    throw new Error(`the victim run ended ${victim.status} (${victim.errorMessage ?? ""}):\n${consoleTail(victim)}`);
  await w.asVictim.runs.cancel({ workspaceId: w.vws.id, runId: w.victimRun.id });
  await waitFor(w.victimRun.id, settled);
}

async function victimStoreLive(victimRunId: string) {
  const live = (r: TRun) =>
    r.status === "RUNNING" && r.secretsState === "PROVISIONED" && existsSync(join(r.runDir!, "secrets", "store.json"));
  const run = await waitFor(victimRunId, (r) => live(r) || settled(r), 180_000);
  if (!live(run)) {
    // Say why, so a failure here is not a mystery (the victim's console holds no secret of the attacker's).
    throw new Error(
      `the victim run ended ${run.status} (${run.errorMessage ?? ""}) before its store could be attacked:\n${consoleTail(run)}`,
    );
  }
  return run.runDir!;
}

describe("a hostile pipeline launched by a launch-role user", () => {
  it("finds nothing private to Lockstep from a sandboxed local run", { timeout: 480_000 }, async () => {
    const w = await world(sandboxed);
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
    await victimUndisturbed(w);
  });

  it.runIf(isRoot)(
    "finds nothing private to Lockstep from a sandboxed host-Slurm run",
    { timeout: 480_000 },
    async () => {
      const w = await world(sandboxed);
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
      await victimUndisturbed(w);
    },
  );

  it(
    "positive control: the same probe without the sandbox finds the key, the other tenant's value and NEXTAUTH_SECRET",
    { timeout: 480_000 },
    async () => {
      const w = await world(unsandboxed);
      const victimRunDir = await victimStoreLive(w.victimRun.id);
      const { log, files } = await w.probe(w.local.id, victimRunDir);
      const everything = `${log}\n${files}`;
      expect(everything).toContain(keys.privateKey);
      expect(everything).toContain(w.victimValue);
      expect(everything).toContain(nextauthCanary);
      expect(unsandboxed.logs.join("")).toContain("WITHOUT a sandbox");
      await victimUndisturbed(w);
    },
  );
});

/**
 * The Docker image runs the worker as uid 10001, not root: runs then share the worker's uid and the
 * sandbox is the whole boundary (docs/security.md). The same probe, against a worker started as
 * that uid: it must find nothing; and, unsandboxed, the same uid reads the worker's keys file — the
 * positive control proving the sandbox is what stops it.
 */
describe.runIf(isRoot)("a worker that is not root (the image's uid 10001)", () => {
  const uid = 10_001;
  let place: TPlace;
  let plain: Awaited<ReturnType<typeof startWorker>>;
  let control: Awaited<ReturnType<typeof startWorker>>;

  beforeAll(async () => {
    // Its own Nextflow cache: root's (in /root) is closed to other uids, as a real deployment's would be.
    const cache = mkdtempSync(join(tmpdir(), "lockstep-hostile-cache-"));
    const source = join(homedir(), ".cache/lockstep/nextflow", NEXTFLOW_VERSION, "lib");
    const lib = join(cache, NEXTFLOW_VERSION, "lib");
    mkdirSync(lib, { recursive: true });
    for (const jar of readdirSync(source)) copyFileSync(join(source, jar), join(lib, jar));
    spawnSync("chown", ["-R", `${uid}:${uid}`, cache]);
    cleanups.push(() => rmSync(cache, { recursive: true, force: true }));
    place = placeFor(uid, cache);
    plain = await startWorker(`it-hostile-u-${randomUUID().slice(0, 8)}`, {}, place);
    control = await startWorker(
      `it-hostile-uctl-${randomUUID().slice(0, 8)}`,
      { NODE_ENV: "test", LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS: "positive-control" },
      place,
    );
  }, 120_000);

  it("finds nothing private to Lockstep from a sandboxed local run", { timeout: 480_000 }, async () => {
    const w = await world(plain);
    const victimRunDir = await victimStoreLive(w.victimRun.id);
    const { run, log, files } = await w.probe(w.local.id, victimRunDir);
    expect(files).toContain("TASK-PROBE done");
    expect(run.runUid).toBeNull(); // no per-run uid without root
    expect(log).toContain(`HEAD-PROBE uid: uid=${uid}`);
    const everything = `${log}\n${files}\n${plain.logs.join("")}`;
    for (const [what, value] of Object.entries(privates(w.victimValue))) {
      expect(everything.includes(value), `${what} reached the attacker`).toBe(false);
    }
    expect([run.status, run.secretsState]).toEqual(["SUCCEEDED", "DELETED"]);
    await victimUndisturbed(w);
  });

  it(
    "positive control: unsandboxed, the same uid reads the worker's keys file and the other tenant's store",
    { timeout: 480_000 },
    async () => {
      const w = await world(control);
      const victimRunDir = await victimStoreLive(w.victimRun.id);
      const { log, files } = await w.probe(w.local.id, victimRunDir);
      expect(`${log}\n${files}`).toContain(keys.privateKey);
      expect(`${log}\n${files}`).toContain(w.victimValue);
      await victimUndisturbed(w);
    },
  );
});

describe("the worker's keys", () => {
  it(
    "refuses a keys file others can read, and LOCKSTEP_OPEN_KEYS in its environment",
    { timeout: 60_000 },
    async () => {
      const exposed = join(mkdtempSync(join(tmpdir(), "lockstep-exposed-")), "keys");
      writeFileSync(exposed, keys.openKeys, { mode: 0o644 });
      chmodSync(exposed, 0o644);
      const boot = (env: Record<string, string>) =>
        spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
          cwd: join(root, "apps/worker"),
          env: {
            ...childBaseEnv(),
            DATABASE_URL: inject("databaseUrl"),
            REDIS_URL: inject("redisUrl"),
            LOCKSTEP_SEAL_KEYS: keys.sealKeys,
            LOCKSTEP_FINGERPRINT_KEY_FILE: fingerprintFile,
            WORKER_PORT: "1",
            ...env,
          },
          encoding: "utf8",
          timeout: 30_000,
        });
      const wide = boot({ LOCKSTEP_OPEN_KEYS_FILE: exposed });
      expect(wide.status).not.toBe(0);
      expect(wide.stdout + wide.stderr).toContain("is readable by others (mode 644)");
      const fromEnv = boot({
        LOCKSTEP_OPEN_KEYS_FILE: keysFile,
        LOCKSTEP_OPEN_KEYS: keys.openKeys,
      });
      expect(fromEnv.status).not.toBe(0);
      expect(fromEnv.stdout + fromEnv.stderr).toContain("LOCKSTEP_OPEN_KEYS is no longer read from the environment");
      // The fingerprint key is held the same way: a file others can read is refused.
      const exposedFingerprint = join(mkdtempSync(join(tmpdir(), "lockstep-exposed-")), "fingerprint");
      writeFileSync(exposedFingerprint, fingerprintSpec, { mode: 0o644 });
      chmodSync(exposedFingerprint, 0o644);
      const wideFingerprint = boot({
        LOCKSTEP_OPEN_KEYS_FILE: keysFile,
        LOCKSTEP_FINGERPRINT_KEY_FILE: exposedFingerprint,
      });
      expect(wideFingerprint.status).not.toBe(0);
      expect(wideFingerprint.stdout + wideFingerprint.stderr).toContain("LOCKSTEP_FINGERPRINT_KEY_FILE");
      expect(wideFingerprint.stdout + wideFingerprint.stderr).toContain("is readable by others (mode 644)");
      // No refusal prints a key.
      const printed =
        wide.stdout + wide.stderr + fromEnv.stdout + fromEnv.stderr + wideFingerprint.stdout + wideFingerprint.stderr;
      expect(printed).not.toContain(keys.privateKey);
      expect(printed).not.toContain(fingerprintSpec.slice(fingerprintSpec.indexOf(":") + 1));
    },
  );
});
