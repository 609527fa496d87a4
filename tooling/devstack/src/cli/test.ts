/**
 * `npm test`: every layer, in order — lint, typecheck, format, unit, integration (real Postgres + Redis),
 * end-to-end (Playwright in Debian Chromium against the started app) — then one summary.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { say } from "../log";
import { ensureMoto, startMoto, type TStartedMoto } from "../moto";
import { freePort, isPortFree } from "../ports";
import { startSlurm, type TStartedSlurm } from "../slurm";
import { ensureSystemPackages, SYSTEM_PACKAGES } from "../system";

const root = resolve(import.meta.dirname, "../../../..");
const reports = join(root, ".data", "test-reports");
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });

const env = {
  ...process.env,
  PATH: `${join(root, ".tools/node_modules/.bin")}:${join(root, "node_modules/.bin")}:${process.env.PATH ?? ""}`,
  TURBO_TELEMETRY_DISABLED: "1",
  NEXT_TELEMETRY_DISABLED: "1",
  FORCE_COLOR: process.env.CI ? "0" : process.env.FORCE_COLOR,
};

type TLayer = {
  name: string;
  passed: number;
  failed: number;
  skipped: number;
  unit: string;
  seconds: number;
  ok: boolean;
};
const layers: TLayer[] = [];

function run(command: string, args: string[], cwd = root, extraEnv: Record<string, string> = {}): number {
  const r = spawnSync(command, args, { cwd, stdio: "inherit", env: { ...env, ...extraEnv } });
  return r.status ?? 1;
}

function timed<T>(fn: () => T): [T, number] {
  const started = Date.now();
  const result = fn();
  return [result, (Date.now() - started) / 1000];
}

function turboLayer(name: string, task: string) {
  say(`── ${name} ──`);
  const [status, seconds] = timed(() =>
    run("turbo", ["run", task, "--concurrency=2", "--continue", "--output-logs=errors-only"]),
  );
  const packages = JSON.parse(
    spawnSync("turbo", ["run", task, "--dry-run=json"], { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20 })
      .stdout || "{}",
  ) as { tasks?: Array<{ task: string; command: string }> };
  // The dry run also lists the tasks this one depends on (lint needs ^typecheck): count only its own.
  const count = (packages.tasks ?? []).filter((t) => t.task === task && t.command !== "<NONEXISTENT>").length;
  layers.push({
    name,
    passed: status === 0 ? count : 0,
    failed: status === 0 ? 0 : 1,
    skipped: 0,
    unit: "packages",
    seconds,
    ok: status === 0,
  });
}

/** `prettier --check .`: formatting is part of the suite, so a change cannot land unformatted. */
function formatLayer() {
  say("── format ──");
  const [status, seconds] = timed(() => run("prettier", ["--check", ".", "--log-level", "warn"]));
  layers.push({
    name: "format",
    passed: status === 0 ? 1 : 0,
    failed: status === 0 ? 0 : 1,
    skipped: 0,
    unit: "check",
    seconds,
    ok: status === 0,
  });
}

function vitestLayer(name: string, project: string) {
  say(`── ${name} tests ──`);
  const file = join(reports, `${project}.json`);
  const [status, seconds] = timed(() =>
    run("vitest", ["run", "--project", project, "--reporter=default", "--reporter=json", `--outputFile.json=${file}`]),
  );
  let passed = 0;
  let failed = status === 0 ? 0 : 1;
  let skipped = 0;
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, "utf8")) as {
      numPassedTests: number;
      numFailedTests: number;
      numPendingTests: number;
      numTodoTests: number;
    };
    passed = r.numPassedTests;
    failed = Math.max(r.numFailedTests, status === 0 ? 0 : 1);
    skipped = r.numPendingTests + r.numTodoTests;
  }
  // A layer that ran nothing proves nothing.
  const ok = status === 0 && passed > 0;
  layers.push({ name, passed, failed: ok ? failed : Math.max(failed, 1), skipped, unit: "tests", seconds, ok });
}

/** Five consecutive free ports from 3100 up (web, worker, Postgres, Redis, OIDC provider). */
async function e2eBasePort(): Promise<number> {
  if (process.env.E2E_BASE_PORT) return Number(process.env.E2E_BASE_PORT);
  for (let base = 3100; base < 3600; base += 10) {
    const free = await Promise.all([0, 1, 2, 3, 4].map((i) => isPortFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  return 3100;
}

/** A private single-node Slurm for the slurm executor's end-to-end tests (needs root). */
async function slurmForE2e(dir: string): Promise<TStartedSlurm | null> {
  rmSync(dir, { recursive: true, force: true });
  try {
    return await startSlurm(dir);
  } catch (error) {
    say(`no Slurm for the end-to-end tests: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/**
 * moto for the cloud end-to-end tests. The app Playwright starts inherits AWS_ENDPOINT_URL, which
 * every AWS SDK client honours, so its worker's Secrets Manager, Batch and STS calls reach moto.
 */
async function motoForE2e(): Promise<TStartedMoto | null> {
  try {
    return await startMoto({ port: await freePort(), moto: await ensureMoto() });
  } catch (error) {
    say(`no moto for the end-to-end tests: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

function e2eLayer(basePort: number, slurmConf: string | null, awsEndpoint: string | null) {
  say(`── end-to-end tests (Playwright, Chromium; ports ${basePort}–${basePort + 4}) ──`);
  const file = join(reports, "e2e.json");
  // A fresh instance each run: its own data directory, removed first.
  const dataDir = join(root, ".data", "e2e");
  rmSync(dataDir, { recursive: true, force: true });
  const [status, seconds] = timed(() =>
    run(join(root, "e2e/node_modules/.bin/playwright"), ["test"], join(root, "e2e"), {
      E2E_JSON_REPORT: file,
      E2E_DATA_DIR: dataDir,
      E2E_BASE_PORT: String(basePort),
      // The app started by Playwright inherits it: its worker submits Slurm head jobs there.
      ...(slurmConf ? { SLURM_CONF: slurmConf } : {}),
      // Emulator only: the test account's keys, and no instance-metadata lookups.
      ...(awsEndpoint
        ? {
            AWS_ENDPOINT_URL: awsEndpoint,
            AWS_ACCESS_KEY_ID: "testing",
            AWS_SECRET_ACCESS_KEY: "testing",
            AWS_EC2_METADATA_DISABLED: "true",
          }
        : {}),
    }),
  );
  let passed = 0;
  let failed = status === 0 ? 0 : 1;
  let skipped = 0;
  if (existsSync(file)) {
    const r = JSON.parse(readFileSync(file, "utf8")) as {
      stats: { expected: number; unexpected: number; flaky: number; skipped: number };
    };
    passed = r.stats.expected;
    failed = Math.max(r.stats.unexpected + r.stats.flaky, status === 0 ? 0 : 1);
    skipped = r.stats.skipped;
  }
  const ok = status === 0 && passed > 0;
  layers.push({ name: "e2e", passed, failed: ok ? failed : Math.max(failed, 1), skipped, unit: "tests", seconds, ok });
}

const { missing } = ensureSystemPackages(SYSTEM_PACKAGES);
if (missing.length > 0) {
  for (const p of missing)
    process.stderr.write(`[lockstep] error: ${p.binary} is needed for the ${p.why}: ${p.elsewhere}\n`);
  process.exit(1);
}

turboLayer("lint", "lint");
turboLayer("typecheck", "typecheck");
formatLayer();
vitestLayer("unit", "unit");
vitestLayer("integration", "integration");
const e2eSlurm = await slurmForE2e(join(root, ".data", "e2e-slurm"));
const e2eMoto = await motoForE2e();
e2eLayer(await e2eBasePort(), e2eSlurm?.conf ?? null, e2eMoto?.endpoint ?? null);
await e2eSlurm?.stop();
await e2eMoto?.stop();

say("── summary ──");
for (const l of layers) {
  const counts =
    l.unit === "packages"
      ? `${l.passed} packages clean`
      : l.unit === "check"
        ? l.ok
          ? "every file formatted"
          : "files to format (npm run format)"
        : `${l.passed} passed, ${l.failed} failed${l.skipped ? `, ${l.skipped} skipped` : ""}`;
  say(`${l.ok ? "ok  " : "FAIL"} ${l.name.padEnd(12)} ${counts.padEnd(34)} ${l.seconds.toFixed(1)} s`);
}
const tests = layers.filter((l) => l.unit === "tests");
const passed = tests.reduce((n, l) => n + l.passed, 0);
const failed = tests.reduce((n, l) => n + l.failed, 0) + layers.filter((l) => l.unit !== "tests" && !l.ok).length;
const skipped = tests.reduce((n, l) => n + l.skipped, 0);
process.stdout.write(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`);
process.exit(layers.every((l) => l.ok) ? 0 : 1);
