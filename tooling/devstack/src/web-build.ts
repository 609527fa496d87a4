import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";

const SOURCE_DIRS = ["apps/web", "packages"];
const SKIP = new Set(["node_modules", ".next", ".turbo", "dist", "drizzle", "test-results"]);
// Written by `next build` itself: counting them would make every build look stale to the next start.
const GENERATED = /^(next-env\.d\.ts|.*\.tsbuildinfo)$/;

/**
 * A fingerprint of everything `next build` reads from this repository (paths, sizes, mtimes), so
 * `npm start` rebuilds only when the web app or a package it bundles changed.
 */
export function webSourceFingerprint(root: string): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      if (SKIP.has(entry.name) || GENERATED.test(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const s = statSync(path);
        hash.update(`${relative(root, path)}:${s.size}:${s.mtimeMs}\n`);
      }
    }
  };
  for (const dir of SOURCE_DIRS) walk(join(root, dir));
  hash.update(readFileSync(join(root, "pnpm-lock.yaml")));
  return hash.digest("hex");
}

const stampFile = (root: string) => join(root, "apps/web/.next/lockstep-source.sha256");

export function webBuildIsCurrent(root: string): boolean {
  const stamp = stampFile(root);
  if (!existsSync(join(root, "apps/web/.next/BUILD_ID")) || !existsSync(stamp)) return false;
  return readFileSync(stamp, "utf8") === webSourceFingerprint(root);
}

export function markWebBuilt(root: string, fingerprint: string): void {
  writeFileSync(stampFile(root), fingerprint);
}
