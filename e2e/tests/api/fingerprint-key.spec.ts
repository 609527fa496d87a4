import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { dataDir } from "../../playwright.config";

/**
 * The key of the runs' secret fingerprints is the worker's alone (docs/security.md §4a): `npm start`
 * keeps it in a 0600 file that only the worker is told about. Read from the live processes that
 * `npm start` started for this suite: the web's environment names no such file and holds no key;
 * the worker's names the file (the positive control: the check reads real environments).
 */
const environOf = (pid: number) =>
  new Map(
    readFileSync(`/proc/${pid}/environ`, "utf8")
      .split("\0")
      .filter(Boolean)
      .map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)] as const),
  );

test("the web process never holds the fingerprint key; the worker reads it from a 0600 file", () => {
  const pids = JSON.parse(readFileSync(join(dataDir, "children.json"), "utf8")) as { web: number; worker: number };
  const keyFile = join(dataDir, "worker-fingerprint-key");
  const spec = readFileSync(keyFile, "utf8").trim();
  const key = spec.slice(spec.indexOf(":") + 1);
  expect(key.length).toBeGreaterThanOrEqual(43);

  const web = environOf(pids.web);
  expect([...web.keys()].filter((k) => k.includes("FINGERPRINT"))).toEqual([]);
  expect([...web.values()].join("\n")).not.toContain(key);
  expect([...web.values()].join("\n")).not.toContain(keyFile);

  const worker = environOf(pids.worker);
  expect(worker.get("LOCKSTEP_FINGERPRINT_KEY_FILE")).toBe(keyFile);
  // A file, not the key itself: the worker's environment holds no key material either.
  expect([...worker.values()].join("\n")).not.toContain(key);
});
