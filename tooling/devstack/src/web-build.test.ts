import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { webSourceFingerprint } from "./web-build";

const root = mkdtempSync(join(tmpdir(), "lockstep-fp-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
mkdirSync(join(root, "apps/web/src"), { recursive: true });
mkdirSync(join(root, "packages/ui/src"), { recursive: true });
writeFileSync(join(root, "pnpm-lock.yaml"), "lock");
writeFileSync(join(root, "apps/web/src/page.tsx"), "export default 1;");
writeFileSync(join(root, "packages/ui/src/button.tsx"), "export const b = 1;");

describe("web build fingerprint", () => {
  it("ignores files next build writes itself, so a second start does not rebuild", () => {
    const before = webSourceFingerprint(root);
    writeFileSync(join(root, "apps/web/next-env.d.ts"), "/// generated");
    writeFileSync(join(root, "apps/web/tsconfig.tsbuildinfo"), "{}");
    mkdirSync(join(root, "apps/web/.next"), { recursive: true });
    writeFileSync(join(root, "apps/web/.next/BUILD_ID"), "x");
    expect(webSourceFingerprint(root)).toBe(before);
  });

  it("changes when a source of the web app or of a package it bundles changes", () => {
    const before = webSourceFingerprint(root);
    const later = new Date(Date.now() + 5_000);
    utimesSync(join(root, "packages/ui/src/button.tsx"), later, later);
    expect(webSourceFingerprint(root)).not.toBe(before);
  });
});
