import { spawn } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import postgres from "postgres";
import { Redis } from "ioredis";
import { afterAll, describe, expect, inject, it } from "vitest";
import { freePort, isPortFree } from "./ports";
import { startEmbeddedPostgres } from "./postgres";
import { startPrivateRedis } from "./redis";

const root = resolve(import.meta.dirname, "../../..");
const dir = mkdtempSync(join(tmpdir(), "lockstep-devstack-"));
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the embedded services keep their data across restarts", () => {
  it("embedded Postgres: a row written before a stop is there after the next start", async () => {
    const dataDir = join(dir, "pg");
    const first = await startEmbeddedPostgres({ dataDir, port: await freePort(), quiet: true });
    let sql = postgres(first.url, { max: 1, onnotice: () => {} });
    await sql`create table kept (v text)`;
    await sql`insert into kept values ('still-here')`;
    await sql.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, port: await freePort(), quiet: true });
    sql = postgres(second.url, { max: 1 });
    const rows = await sql`select v from kept`;
    await sql.end();
    await second.stop();
    expect(rows.map((r) => r.v)).toEqual(["still-here"]);
  });

  it("private Redis: a key written before a stop is there after the next start", async () => {
    const redisDir = join(dir, "redis");
    const first = await startPrivateRedis({ dir: redisDir, port: await freePort() });
    let client = new Redis(first.url);
    await client.set("kept", "still-here");
    await client.quit();
    await first.stop();

    const second = await startPrivateRedis({ dir: redisDir, port: await freePort() });
    client = new Redis(second.url);
    const value = await client.get("kept");
    await client.quit();
    await second.stop();
    expect(value).toBe("still-here");
  });
});

/** Runs the start command with `env`; resolves its exit code, output and duration. */
async function start(env: Record<string, string>) {
  const started = Date.now();
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "tooling/devstack/src/cli/start.ts")], {
    cwd: root,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/root",
      LOCKSTEP_DATA_DIR: join(dir, `start-${Math.random().toString(36).slice(2)}`),
      PORT: String(await freePort()),
      WORKER_PORT: String(await freePort()),
      ...env,
    },
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => (stdout += c.toString()));
  child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  const code = await new Promise<number | null>((r) => child.on("exit", (c) => r(c)));
  clearTimeout(timer);
  return { code, stdout, stderr, seconds: (Date.now() - started) / 1000 };
}

function errorLines(stderr: string) {
  return stderr.split("\n").filter((l) => l.startsWith("[lockstep] error:"));
}

describe("the start command refuses bad configuration quickly and says why", () => {
  it("an unreachable DATABASE_URL: exits non-zero within 15 s naming the variable", async () => {
    const r = await start({ DATABASE_URL: `postgres://lockstep:pw-marker@127.0.0.1:${await freePort()}/lockstep` });
    expect(r.code).not.toBe(0);
    expect(r.seconds).toBeLessThan(15);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(
        /^\[lockstep\] error: DATABASE_URL: cannot connect to Postgres at 127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/,
      ),
    ]);
    expect(r.stderr + r.stdout).not.toContain("pw-marker");
  });

  it("an unreachable REDIS_URL: exits non-zero within 15 s naming the variable", async () => {
    const r = await start({ DATABASE_URL: inject("databaseUrl"), REDIS_URL: `redis://127.0.0.1:${await freePort()}` });
    expect(r.code).not.toBe(0);
    expect(r.seconds).toBeLessThan(15);
    expect(errorLines(r.stderr)).toEqual([
      expect.stringMatching(/^\[lockstep\] error: REDIS_URL: cannot connect to Redis at 127\.0\.0\.1:\d+/),
    ]);
  });

  it("a port already in use: exits non-zero naming PORT", async () => {
    const server = createServer();
    const port = await new Promise<number>((r) =>
      server.listen(0, "0.0.0.0", () => r((server.address() as { port: number }).port)),
    );
    try {
      const r = await start({ PORT: String(port) });
      expect(r.code).not.toBe(0);
      expect(r.seconds).toBeLessThan(15);
      expect(errorLines(r.stderr)).toEqual([
        `[lockstep] error: PORT: port ${port} is already in use — stop what listens there or set PORT=<free port>`,
      ]);
    } finally {
      server.close();
    }
  });

  it.each([
    [{ PORT: "eighty" }, "PORT must be a port number"],
    [{ REDIS_URL: "localhost:6379" }, "REDIS_URL must"],
    [{ DATABASE_URL: "mysql://u@h/db" }, "DATABASE_URL must start with postgres:// or postgresql://"],
  ])("a malformed value %o: one line naming the variable", async (env, message) => {
    const r = await start(env);
    expect(r.code).not.toBe(0);
    expect(r.seconds).toBeLessThan(15);
    const lines = errorLines(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(message);
    expect(r.stderr).not.toMatch(/^\s+at /m); // no stack trace
  });
});

describe("the start command runs everything and Ctrl-C stops everything", () => {
  it(
    "serves /api/health, restarts a killed worker, then on SIGINT stops web, worker, Postgres and Redis",
    { timeout: 600_000 },
    async () => {
      const ports = {
        PORT: await freePort(),
        WORKER_PORT: await freePort(),
        LOCKSTEP_POSTGRES_PORT: await freePort(),
        LOCKSTEP_REDIS_PORT: await freePort(),
      };
      const dataDir = join(dir, "full-start");
      const child = spawn(process.execPath, ["--import", "tsx", join(root, "tooling/devstack/src/cli/start.ts")], {
        cwd: root,
        env: {
          PATH: process.env.PATH ?? "",
          HOME: process.env.HOME ?? "/root",
          LOCKSTEP_DATA_DIR: dataDir,
          ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
        },
      });
      let output = "";
      child.stdout.on("data", (c: Buffer) => (output += c.toString()));
      child.stderr.on("data", (c: Buffer) => (output += c.toString()));
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      const deadline = Date.now() + 540_000;
      while (!output.includes("Lockstep is running at") && Date.now() < deadline) {
        if (child.exitCode !== null) throw new Error(`start exited early: ${output.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
      const health = (await (await fetch(`http://127.0.0.1:${ports.PORT}/api/health`)).json()) as {
        postgres: { ok: boolean };
        redis: { ok: boolean };
      };
      expect(health.postgres.ok && health.redis.ok).toBe(true);

      // A fresh instance has no admin: start printed a one-time setup code, here and nowhere else.
      const code = /setup code: ([A-Z2-9]{5}(?:-[A-Z2-9]{5}){3})\n/.exec(output)?.[1];
      expect(code, output.slice(-3000)).toBeDefined();
      for (const log of ["web.log", "worker.log"])
        expect([log, readFileSync(join(dataDir, "logs", log), "utf8").includes(code!)]).toEqual([log, false]);
      const signUp = (setupCode?: string) =>
        fetch(`http://127.0.0.1:${ports.PORT}/api/trpc/auth.signUp`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({
            json: { email: "first@example.test", name: "First", password: "first password 1", setupCode },
          }),
        });
      expect((await signUp()).status).toBe(403);
      expect((await signUp(code)).status).toBe(200);

      // A worker that dies (here: SIGKILL) is started again; the web keeps serving.
      const { worker: workerPid } = JSON.parse(readFileSync(join(dataDir, "children.json"), "utf8")) as {
        worker: number;
      };
      process.kill(workerPid, "SIGKILL");
      const restartDeadline = Date.now() + 60_000;
      let workerBack = false;
      while (!workerBack && Date.now() < restartDeadline) {
        await new Promise((r) => setTimeout(r, 500));
        const pid = (JSON.parse(readFileSync(join(dataDir, "children.json"), "utf8")) as { worker: number }).worker;
        workerBack =
          pid !== workerPid &&
          (await fetch(`http://127.0.0.1:${ports.WORKER_PORT}/health`).then(
            (r) => r.ok,
            () => false,
          ));
      }
      expect(workerBack).toBe(true);
      expect(output).toContain("the worker exited unexpectedly (code 128); starting it again");

      child.kill("SIGINT");
      expect(await exited).toBe(0);
      expect(output).toContain("[lockstep] stopped");
      for (const [name, port] of Object.entries(ports)) {
        expect([name, await isPortFree(port, "127.0.0.1")]).toEqual([name, true]);
      }
    },
  );
});
