// First-run bootstrap shared by `npm start` and `npm test`. Plain Node (no dependencies), because
// it runs before anything is installed: it provides the pinned pnpm and installs the workspace.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** @param {string} message */
export function say(message) {
  process.stdout.write(`[lockstep] ${message}\n`);
}

/**
 * @param {string} message
 * @returns {never}
 */
export function fail(message) {
  process.stderr.write(`[lockstep] error: ${message}\n`);
  process.exit(1);
}

function checkNode() {
  const [major = 0, minor = 0] = process.versions.node.split(".").map(Number);
  if (major < 20 || (major === 20 && minor < 9)) {
    fail(`Node ${process.versions.node} is too old: Lockstep needs Node 20.9 or newer.`);
  }
}

/**
 * Returns the argv prefix that runs the pinned pnpm, installing it under .tools/ once.
 * @returns {[string, ...string[]]}
 */
export function pnpmCommand() {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const version = String(pkg.packageManager).replace(/^pnpm@/, "");
  const toolsDir = join(root, ".tools");
  const entry = join(toolsDir, "node_modules", "pnpm", "bin", "pnpm.cjs");
  const installedVersion = existsSync(entry)
    ? JSON.parse(readFileSync(join(toolsDir, "node_modules", "pnpm", "package.json"), "utf8")).version
    : null;
  if (installedVersion !== version) {
    say(`installing pnpm ${version} into .tools/ (once)…`);
    mkdirSync(toolsDir, { recursive: true });
    // npm verifies the tarball's integrity; corepack's signature keys lag behind pnpm releases.
    const r = spawnSync(
      "npm",
      [
        "install",
        "--prefix",
        toolsDir,
        "--no-save",
        "--no-package-lock",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
        `pnpm@${version}`,
      ],
      { stdio: "inherit", cwd: root },
    );
    if (r.status !== 0) fail(`could not install pnpm ${version} with npm (exit ${r.status}).`);
  }
  return [process.execPath, entry];
}

/**
 * @param {string[]} args
 * @param {import("node:child_process").SpawnSyncOptions} [options]
 */
export function runPnpm(args, options = {}) {
  const [cmd, ...pre] = pnpmCommand();
  const r = spawnSync(cmd, [...pre, ...args], { stdio: "inherit", cwd: root, ...options });
  return r.status ?? 1;
}

/** Installs workspace dependencies when the lockfile changed since the last install. */
export function ensureDependencies() {
  const lockfile = join(root, "pnpm-lock.yaml");
  const stamp = join(root, "node_modules", ".lockstep-install");
  const manifests = ["package.json", "pnpm-workspace.yaml", ...(existsSync(lockfile) ? ["pnpm-lock.yaml"] : [])];
  for (const group of ["apps", "packages", "tooling"]) {
    const dir = join(root, group);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      if (existsSync(join(dir, name, "package.json"))) manifests.push(join(group, name, "package.json"));
    }
  }
  manifests.push("e2e/package.json", "bench/package.json", "scripts/package.json");
  const hash = createHash("sha256");
  for (const file of manifests) hash.update(readFileSync(join(root, file)));
  const digest = hash.digest("hex");
  if (existsSync(stamp) && readFileSync(stamp, "utf8") === digest) return;
  say("installing dependencies with pnpm (first run, or the lockfile changed)…");
  const frozen = existsSync(lockfile) && process.env.CI ? ["--frozen-lockfile"] : [];
  const status = runPnpm(["install", ...frozen, "--reporter=append-only"], {
    env: { ...process.env, npm_config_loglevel: "error" },
  });
  if (status !== 0) fail(`pnpm install failed (exit ${status}).`);
  writeFileSync(stamp, digest);
}

export function bootstrap() {
  checkNode();
  ensureDependencies();
}
