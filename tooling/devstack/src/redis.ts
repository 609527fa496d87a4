import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { Redis } from "ioredis";
import { isPortFree } from "./ports";
import { StartupError } from "./log";

export type TStartedRedis = { url: string; stop: () => Promise<void> };

export const REDIS_INSTALL_HINT =
  "install Redis 7: `sudo apt-get install redis-server` (Debian/Ubuntu), `brew install redis` (macOS), " +
  "or `docker compose up -d redis` (after copying .env.example to .env) and set REDIS_URL=redis://localhost:6379";

export function findRedisServer(): string | null {
  const r = spawnSync("sh", ["-c", "command -v redis-server"], { encoding: "utf8" });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : null;
}

/** A private redis-server on loopback with its append-only file under `dir`, so jobs survive restarts. */
export async function startPrivateRedis(opts: { dir: string; port: number }): Promise<TStartedRedis> {
  const binary = findRedisServer();
  if (!binary) throw new StartupError(`REDIS_URL is not set and no redis-server is on PATH: ${REDIS_INSTALL_HINT}`);
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  await stopStale(opts.dir);
  if (!(await isPortFree(opts.port, "127.0.0.1"))) {
    throw new StartupError(`private Redis port ${opts.port} is already in use (set LOCKSTEP_REDIS_PORT or REDIS_URL)`);
  }
  const pidfile = join(opts.dir, "redis.pid");
  // A password only Lockstep's processes know (pipelines share the network), in a 0600 config file
  // rather than on the command line, which any local user can read through /proc.
  const passwordFile = join(opts.dir, "redis.password");
  if (!existsSync(passwordFile))
    writeFileSync(passwordFile, `${randomBytes(24).toString("base64url")}\n`, { mode: 0o600, flag: "wx" });
  const password = readFileSync(passwordFile, "utf8").trim();
  const conf = join(opts.dir, "redis.conf");
  writeFileSync(conf, `requirepass ${password}\n`, { mode: 0o600 });
  chmodSync(conf, 0o600);
  const child = spawn(
    binary,
    [
      conf,
      "--port",
      String(opts.port),
      "--bind",
      "127.0.0.1",
      "--protected-mode",
      "yes",
      "--dir",
      opts.dir,
      "--pidfile",
      pidfile,
      "--appendonly",
      "yes",
      "--save",
      "",
      // BullMQ requires that Redis never evicts its keys.
      "--maxmemory-policy",
      "noeviction",
      "--daemonize",
      "no",
      "--logfile",
      join(opts.dir, "redis.log"),
    ],
    { stdio: "ignore" },
  );
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = `redis://:${encodeURIComponent(password)}@127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<"waiting">((r) => setTimeout(() => r("waiting"), 100))]);
    if (early !== "waiting") {
      throw new StartupError(`redis-server exited with code ${early}; see ${join(opts.dir, "redis.log")}`);
    }
    if (await canPing(url)) break;
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new StartupError(`redis-server did not answer on 127.0.0.1:${opts.port} within 10 s`);
    }
  }
  return {
    url,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

async function canPing(url: string): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
    connectTimeout: 500,
  });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function stopStale(dir: string) {
  const pidfile = join(dir, "redis.pid");
  if (!existsSync(pidfile)) return;
  const pid = Number(readFileSync(pidfile, "utf8").trim());
  if (!Number.isInteger(pid) || pid <= 0) return;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmdline.includes("redis-server")) return;
    process.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  for (let i = 0; i < 50; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
  }
}
