import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedactor } from "@lockstep/redact";
import { isRunLogFile, redactRunFile, redactRunFiles } from "./run-files";

const VALUE = "db-MARKER-9d2e41aa-5c71";
const OTHER = "ws-MARKER-0b8f33e1-aa02";
const forms = (v: string) => [
  v,
  Buffer.from(v).toString("base64"),
  Buffer.from(v).toString("base64url"),
  Buffer.from(v).toString("hex"),
  Buffer.from(v).toString("hex").toUpperCase(),
  encodeURIComponent(`${v}/x`).slice(0, -4),
];
const red = createRedactor([VALUE, OTHER]);

let runDir: string;
beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), "lockstep-redact-"));
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

function put(rel: string, content: string | Buffer) {
  mkdirSync(join(runDir, rel, ".."), { recursive: true });
  writeFileSync(join(runDir, rel), content);
}

describe("which files are logs", () => {
  it("top-level logs and task logs two levels under work/, nothing else", () => {
    const yes = [
      "console.log",
      "nextflow.log",
      ".nextflow.log",
      ".nextflow.log.2",
      "nextflow.log.1",
      "trace.tsv",
      "slurm-42.out",
      "work/ab/cdef0123/.command.out",
      "work/ab/cdef0123/.command.err",
      "work/ab/cdef0123/.command.log",
      "work/ab/cdef0123/.command.sh",
      "work/ab/cdef0123/.command.run",
    ];
    const no = [
      "head.sh",
      "params.json",
      "results/console.log",
      "work/ab/.command.out",
      "work/ab/cdef/out/.command.out",
      "secrets/store.json",
      ".nextflow/history",
      "work/ab/cdef/.exitcode",
      "work/ab/cdef/result.txt",
    ];
    for (const rel of yes) expect(isRunLogFile(rel, rel.split("/").at(-1)!), rel).toBe(true);
    for (const rel of no) expect(isRunLogFile(rel, rel.split("/").at(-1)!), rel).toBe(false);
  });
});

describe("redactRunFiles", () => {
  it("masks every form of every value in every log file, in place, sizes unchanged, other files untouched", async () => {
    const leaky = (v: string) =>
      forms(v)
        .map((f, i) => `line ${i}: ${f} \x00\xff end`)
        .join("\n");
    const logs = [
      "console.log",
      "nextflow.log",
      ".nextflow.log",
      "trace.tsv",
      "work/ab/cdef0123/.command.out",
      "work/ab/cdef0123/.command.err",
      "work/ab/cdef0123/.command.log",
      "work/12/3456789a/.command.sh",
    ];
    // Raw bytes: a NUL and an invalid UTF-8 byte beside each value.
    for (const rel of logs) put(rel, Buffer.from(`${leaky(VALUE)}\n${leaky(OTHER)}\n`, "latin1"));
    put("work/ab/cdef0123/.command.begin", "nothing here\n");
    put("results/out.txt", VALUE);
    put("work/ab/cdef0123/output/deep.txt", VALUE);
    const sizes = logs.map((rel) => statSync(join(runDir, rel)).size);

    const result = await redactRunFiles(runDir, red);
    expect(result).toEqual({
      occurrences: logs.length * 12,
      files: logs.length,
      scannedFiles: logs.length,
      refused: 0,
      incomplete: false,
    });
    for (const [i, rel] of logs.entries()) {
      const text = readFileSync(join(runDir, rel), "latin1");
      for (const v of [VALUE, OTHER]) for (const f of forms(v)) expect(text, `${rel}: ${f}`).not.toContain(f);
      expect(statSync(join(runDir, rel)).size).toBe(sizes[i]);
      expect(text).toContain("line 0: ******"); // what was there is now stars, the rest is intact
      expect(text).toContain(" \x00\xff end");
    }
    // Not logs: the task's outputs and published results are left alone.
    expect(readFileSync(join(runDir, "results/out.txt"), "utf8")).toBe(VALUE);
    expect(readFileSync(join(runDir, "work/ab/cdef0123/output/deep.txt"), "utf8")).toBe(VALUE);
    // Done again, it finds nothing more.
    expect((await redactRunFiles(runDir, red)).occurrences).toBe(0);
  });

  it("property: across 1 MiB chunk boundaries the file ends exactly as a whole-buffer redaction would", async () => {
    let seed = 99;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 4; round++) {
      const content = Buffer.alloc(3 * 1024 * 1024 + Math.floor(rand() * 1000), "q");
      // Values right across each chunk boundary, overlapping pairs, base64 inside base64.
      for (const boundary of [1, 2, 3].map((m) => m * 1024 * 1024)) {
        const at = boundary - Math.floor(rand() * VALUE.length * 2);
        content.write(VALUE, at);
        content.write(OTHER, at + VALUE.length - 3);
      }
      for (let i = 0; i < 50; i++)
        content.write(forms(i % 2 ? VALUE : OTHER)[i % 6]!, Math.floor(rand() * (content.length - 100)));
      put("console.log", content);
      const expected = Buffer.from(content);
      for (const [s, e] of red.spans(content)) expected.fill("*", s, e);
      const done = await redactRunFile(runDir, "console.log", red);
      expect(done?.occurrences).toBe(red.spans(content).length);
      expect(readFileSync(join(runDir, "console.log")).equals(expected)).toBe(true);
    }
  });

  it("positive control: a chunked pass without overlap would miss a value across the boundary", () => {
    const content = Buffer.alloc(2 * 1024 * 1024, "q");
    content.write(VALUE, 1024 * 1024 - 5);
    const left = content.subarray(0, 1024 * 1024);
    const right = content.subarray(1024 * 1024);
    expect(red.spans(left).length + red.spans(right).length).toBe(0);
    expect(red.spans(content)).toHaveLength(1);
  });

  it("reports a pass cut short by its byte budget as incomplete", async () => {
    put("console.log", `${"a".repeat(100)}${VALUE}`);
    expect(await redactRunFile(runDir, "console.log", red, 50)).toEqual({ occurrences: 0, bytes: 50, partial: true });
  });
});
