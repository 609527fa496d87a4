/**
 * `npm start`: Lockstep on one machine — web and worker in the foreground, with an embedded
 * Postgres and a private Redis unless DATABASE_URL / REDIS_URL point elsewhere. Ctrl-C stops all.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { installNextflow, NEXTFLOW_VERSION } from "@lockstep/launcher";
import { createDatabase, ensureSetupCode } from "@lockstep/db";
import { runMigrations } from "@lockstep/db/migrate";
import { checkPostgres, checkRedis } from "../check";
import { parseStartEnv } from "../env";
import { ensureDevKeys } from "../keys";
import { say, StartupError, warn } from "../log";
import { isPortFree } from "../ports";
import { startEmbeddedPostgres, type TStartedPostgres } from "../postgres";
import { recordPids, startChild, stopChild, stopOrphans, type TChild } from "../processes";
import { startPrivateRedis, type TStartedRedis } from "../redis";
import { ensureSystemPackages, RUNTIME_PACKAGES } from "../system";
import { markWebBuilt, webBuildIsCurrent, webSourceFingerprint } from "../web-build";

const root = resolve(import.meta.dirname, "../../../..");
const started = Date.now();
const cleanups: Array<() => Promise<void>> = [];
const children: TChild[] = [];
let shuttingDown = false;

async function shutdown(code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  say("stopping Lockstep…");
  await Promise.all(children.map((c) => stopChild(c)));
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  say("stopped");
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

async function main() {
  const env = parseStartEnv(process.env, root);
  // The data directory holds keys and passwords: nobody else may list it (the postgres user only traverses it).
  mkdirSync(env.dataDir, { recursive: true, mode: 0o711 });
  chmodSync(env.dataDir, 0o711);
  ensureRuntimePackages(env.REDIS_URL === undefined);
  const pidFile = join(env.dataDir, "children.json");
  await stopOrphans(pidFile);

  for (const [variable, port] of [
    ["PORT", env.PORT],
    ["WORKER_PORT", env.WORKER_PORT],
  ] as const) {
    if (!(await isPortFree(port))) {
      throw new StartupError(
        `${variable}: port ${port} is already in use — stop what listens there or set ${variable}=<free port>`,
      );
    }
  }

  let databaseUrl = env.DATABASE_URL;
  if (databaseUrl) {
    say("checking DATABASE_URL…");
    await checkPostgres(databaseUrl);
  } else {
    say(`DATABASE_URL is not set: starting the embedded Postgres (data in ${join(env.dataDir, "postgres")})…`);
    const pg: TStartedPostgres = await startEmbeddedPostgres({
      dataDir: join(env.dataDir, "postgres"),
      port: env.LOCKSTEP_POSTGRES_PORT,
    });
    cleanups.push(pg.stop);
    databaseUrl = pg.url;
  }

  let redisUrl = env.REDIS_URL;
  if (redisUrl) {
    say("checking REDIS_URL…");
    await checkRedis(redisUrl);
  } else {
    say(`REDIS_URL is not set: starting a private redis-server (data in ${join(env.dataDir, "redis")})…`);
    const redis: TStartedRedis = await startPrivateRedis({
      dir: join(env.dataDir, "redis"),
      port: env.LOCKSTEP_REDIS_PORT,
    });
    cleanups.push(redis.stop);
    redisUrl = redis.url;
  }

  let { LOCKSTEP_SEAL_KEYS: sealKeys, LOCKSTEP_OPEN_KEYS: openKeys, NEXTAUTH_SECRET: authSecret } = env;
  if (!sealKeys || (!openKeys && !env.LOCKSTEP_OPEN_KEYS_FILE) || !authSecret) {
    const dev = await ensureDevKeys(join(env.dataDir, "dev-keys.json"));
    sealKeys ??= dev.sealKeys;
    if (!env.LOCKSTEP_OPEN_KEYS_FILE) openKeys ??= dev.openKeys;
    authSecret ??= dev.authSecret;
  }
  // The worker reads its private keys from a file only its uid can read, never from its environment.
  const openKeysFile =
    env.LOCKSTEP_OPEN_KEYS_FILE ?? writeOpenKeysFile(join(env.dataDir, "worker-open-keys"), openKeys!);
  // Its fingerprint key the same way, made once and kept (fingerprints under a new key compare with no earlier run's).
  const fingerprintKeyFile =
    env.LOCKSTEP_FINGERPRINT_KEY_FILE ?? ensureFingerprintKeyFile(join(env.dataDir, "worker-fingerprint-key"));

  say("applying database migrations…");
  await runMigrations(databaseUrl);
  await announceSetupCode(databaseUrl, env.LOCKSTEP_SETUP_CODE);

  // Runs need the pinned Nextflow; resolving it needs Java and Maven. Lockstep starts without them.
  try {
    installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION, say);
  } catch (error) {
    warn(
      `runs cannot start until Nextflow ${NEXTFLOW_VERSION} is available: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  const webDir = join(root, "apps/web");
  if (!webBuildIsCurrent(root)) {
    say("building the web app (first run, or its sources changed; this takes a minute or two)…");
    const build = spawnSync(process.execPath, [join(webDir, "node_modules/next/dist/bin/next"), "build"], {
      cwd: webDir,
      stdio: "inherit",
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (build.status !== 0) throw new StartupError(`the web build failed (next build exit ${build.status})`);
    markWebBuilt(root, webSourceFingerprint(root));
  }

  const logDir = join(env.dataDir, "logs");
  mkdirSync(logDir, { recursive: true, mode: 0o700 });
  chmodSync(logDir, 0o700);
  const publicUrl = env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`;
  const shared = {
    ...process.env,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    NEXTAUTH_URL: publicUrl,
    // Used up here (its hash is in the database); neither the web nor the worker needs it.
    LOCKSTEP_SETUP_CODE: undefined,
  };
  // The front door (apps/web/front-door.mjs) runs inside the web process, ahead of Next: it states
  // each request's client address from the socket and enforces the request body limit.
  const frontDoor = pathToFileURL(join(webDir, "front-door.mjs")).href;
  // A young generation of up to 2 × 64 MiB (Node's default: 2 × 16 MiB), as the Docker image and
  // `pnpm --filter @lockstep/web start` set it: each API answer's short-lived objects die there
  // instead of being promoted (list pages: up to a fifth less CPU per request). Up to ~100 MiB more
  // resident memory under load: docs/operations.md.
  const web = startChild(
    "web",
    process.execPath,
    [
      "--max-semi-space-size=64",
      "--import",
      frontDoor,
      join(webDir, "node_modules/next/dist/bin/next"),
      "start",
      "-p",
      String(env.PORT),
    ],
    {
      cwd: webDir,
      logFile: join(logDir, "web.log"),
      // The web tier gets the public keys only; the private keyring goes to the worker alone.
      env: {
        ...shared,
        LOCKSTEP_SEAL_KEYS: sealKeys,
        NEXTAUTH_SECRET: authSecret,
        LOCKSTEP_OPEN_KEYS: undefined,
        LOCKSTEP_OPEN_KEYS_FILE: undefined,
        LOCKSTEP_FINGERPRINT_KEY_FILE: undefined,
      },
    },
  );
  const workerDir = join(root, "apps/worker");
  const startWorker = () =>
    startChild("worker", process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: workerDir,
      logFile: join(logDir, "worker.log"),
      // Public keys too: key rotation re-seals under the active one.
      env: {
        ...shared,
        LOCKSTEP_OPEN_KEYS: undefined,
        LOCKSTEP_OPEN_KEYS_FILE: openKeysFile,
        LOCKSTEP_FINGERPRINT_KEY_FILE: fingerprintKeyFile,
        LOCKSTEP_DATA_DIR: env.dataDir,
        LOCKSTEP_SEAL_KEYS: sealKeys,
        WORKER_PORT: String(env.WORKER_PORT),
        NEXTAUTH_SECRET: undefined,
      },
    });
  children.push(web);
  void web.exited.then((code) => {
    if (shuttingDown) return;
    process.stderr.write(`[lockstep] error: web exited unexpectedly (code ${code}); stopping\n`);
    void shutdown(1);
  });
  // The worker is supervised: a crashed worker is started again (runs in flight are picked up
  // from Postgres by the new one). Crashing over and over within a minute stops everything.
  const crashes: number[] = [];
  const superviseWorker = () => {
    const worker = startWorker();
    children.push(worker);
    recordPids(pidFile, { web: web.process.pid, worker: worker.process.pid });
    void worker.exited.then((code) => {
      children.splice(children.indexOf(worker), 1);
      if (shuttingDown) return;
      crashes.push(Date.now());
      while (crashes.length > 0 && crashes[0]! < Date.now() - 60_000) crashes.shift();
      if (crashes.length >= 5) {
        process.stderr.write(
          `[lockstep] error: the worker exited ${crashes.length} times within a minute (last code ${code}); stopping\n`,
        );
        void shutdown(1);
        return;
      }
      process.stderr.write(`[lockstep] warning: the worker exited unexpectedly (code ${code}); starting it again\n`);
      setTimeout(() => {
        if (!shuttingDown) superviseWorker();
      }, 1_000);
    });
  };
  superviseWorker();

  await waitFor(`http://127.0.0.1:${env.PORT}/api/health`, 60_000);
  await waitFor(`http://127.0.0.1:${env.WORKER_PORT}/health`, 60_000);
  say(
    `Lockstep is running at ${publicUrl} (ready in ${((Date.now() - started) / 1000).toFixed(1)} s) — Ctrl-C stops it`,
  );
}

/**
 * While the instance has no admin, the first account claims it with a one-time setup code. A new
 * one is made at each start until then (LOCKSTEP_SETUP_CODE presets it); only its hash is stored,
 * and it is printed here, to this console, and nowhere else (not to the web or worker logs).
 */
async function announceSetupCode(databaseUrl: string, preset: string | undefined) {
  const { db, close } = createDatabase(databaseUrl, { max: 1, applicationName: "lockstep-start" });
  try {
    const setup = await ensureSetupCode(db, preset);
    if (setup.status === "generated") {
      say(`this instance has no admin yet. setup code: ${setup.code}`);
      say(
        "  sign up at /sign-up with it to become the instance admin; it works once (a new one is made at each start until then)",
      );
    } else if (setup.status === "preset") {
      say("this instance has no admin yet: sign up at /sign-up with the setup code from LOCKSTEP_SETUP_CODE");
    }
  } finally {
    await close();
  }
}

function ensureFingerprintKeyFile(file: string): string {
  if (!existsSync(file))
    writeFileSync(
      file,
      `${FingerprintKey.generateSpec(`fp-${new Date().toISOString().slice(0, 10).replace(/-/g, "")}`)}\n`,
      { mode: 0o600, flag: "wx" },
    );
  return file;
}

function writeOpenKeysFile(file: string, keys: string): string {
  rmSync(file, { force: true });
  writeFileSync(file, `${keys}\n`, { mode: 0o600, flag: "wx" });
  return file;
}

/**
 * What runs need on this machine: redis-server (unless REDIS_URL is set), bubblewrap for the run
 * sandbox, Java and Maven for Nextflow. Installed with apt as root on Debian/Ubuntu; elsewhere
 * each missing piece is named with how to get it (Redis is required, the others stop runs only).
 */
function ensureRuntimePackages(needRedis: boolean) {
  const wanted = RUNTIME_PACKAGES.filter((p) => needRedis || p.binary !== "redis-server");
  const { missing } = ensureSystemPackages(wanted);
  for (const p of missing) {
    if (p.binary === "redis-server") continue; // startPrivateRedis says exactly what to do
    warn(`${p.binary} is missing, so ${p.why}: ${p.elsewhere}`);
  }
}

async function waitFor(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (shuttingDown) return;
    try {
      const r = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (r.ok) return;
    } catch {
      /* not up yet */
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new StartupError(`${url} did not become healthy within ${timeoutMs / 1000} s`);
}

main().catch(async (error: unknown) => {
  const message =
    error instanceof StartupError
      ? error.message
      : `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  process.stderr.write(`[lockstep] error: ${message}\n`);
  if (!(error instanceof StartupError) && error instanceof Error && error.stack)
    process.stderr.write(`${error.stack}\n`);
  await shutdown(1);
});
