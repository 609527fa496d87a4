import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";

/** A scheduler command's real output, recorded (or copied from the vendor's documentation) with where it comes from. */
export type TRecordedOutput = { source: string; argv: string[]; code: number; stdout: string; stderr: string };

const root = join(import.meta.dirname, "fixtures");

export function recorded(kind: string, name: string): TRecordedOutput {
  const fixture = JSON.parse(readFileSync(join(root, kind, `${name}.json`), "utf8")) as TRecordedOutput;
  if (!fixture.source || !Array.isArray(fixture.argv)) throw new Error(`fixture ${kind}/${name} has no source or argv`);
  return fixture;
}

export function recordedNames(kind: string): string[] {
  return readdirSync(join(root, kind))
    .filter((f) => f.endsWith(".json"))
    .map((f) => f.slice(0, -".json".length))
    .sort();
}
