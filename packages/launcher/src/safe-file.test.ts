import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { open as openRaw, readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedactor } from "@lockstep/redact";
import { readExitCode } from "./head-script";
import { readLogTail } from "./log-tail";
import { redactRunFiles } from "./run-files";
import { openRunFile, readRunFile, UnsafeRunFileError, walkRunDir, writeRunFile } from "./safe-file";
import { readTraceSummary } from "./trace";

/**
 * A hostile pipeline owns its run directory. These tests plant what it could plant where the
 * worker reads or rewrites (a symlink to the worker's keys, a hard link to them, a FIFO, a
 * symlinked directory on the path) and prove that nothing of the target is read or written — with
 * a positive control each time showing that the plain read the worker used to do would have leaked.
 */
const KEYS = "LOCKSTEP_OPEN_KEYS=worker-private-key-MARKER-0123456789";
const VALUE = "db-MARKER-value-0123456789";

let base: string;
let runDir: string;
let keysFile: string;

beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "lockstep-safe-"));
  runDir = join(base, "run");
  mkdirSync(runDir);
  mkdirSync(join(base, "worker"));
  keysFile = join(base, "worker", "keys.env");
  writeFileSync(keysFile, `${KEYS}\n${VALUE}\n`, { mode: 0o600 });
});

afterEach(() => rmSync(base, { recursive: true, force: true }));

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T | "timed out"> {
  return Promise.race([p, new Promise<"timed out">((r) => setTimeout(() => r("timed out"), ms))]);
}

describe("a symlink planted at console.log, pointing at the worker's keys", () => {
  beforeEach(() => symlinkSync(keysFile, join(runDir, "console.log")));

  it("positive control: the plain read the monitor used to do copies the keys", async () => {
    expect(await readFile(join(runDir, "console.log"), "utf8")).toContain(KEYS);
  });

  it("is refused by openRunFile, readRunFile and the log tail", async () => {
    await expect(openRunFile(runDir, "console.log")).rejects.toBeInstanceOf(UnsafeRunFileError);
    await expect(readRunFile(runDir, "console.log", { maxBytes: 1024 })).rejects.toThrow(/symbolic link/);
    await expect(
      readLogTail(runDir, "console.log", 0, createRedactor([]), { final: true, room: 100 }),
    ).rejects.toBeInstanceOf(UnsafeRunFileError);
  });

  it("is neither read nor rewritten by the end-of-run redaction", async () => {
    const before = statSync(keysFile);
    const result = await redactRunFiles(runDir, createRedactor([VALUE]));
    // The walk never lists a symbolic link, so it is not even opened.
    expect(result).toMatchObject({ scannedFiles: 0, occurrences: 0 });
    expect(readFileSync(keysFile, "utf8")).toContain(VALUE); // not masked through the link
    expect(statSync(keysFile).mtimeMs).toBe(before.mtimeMs);
  });
});

describe("a hard link planted at console.log", () => {
  beforeEach(() => linkSync(keysFile, join(runDir, "console.log")));

  it("positive control: a plain read (even with O_NOFOLLOW) gets the keys", async () => {
    const handle = await openRaw(join(runDir, "console.log"), "r");
    expect((await handle.readFile()).toString()).toContain(KEYS);
    await handle.close();
  });

  it("is refused for reading and for the in-place rewrite", async () => {
    await expect(openRunFile(runDir, "console.log")).rejects.toThrow(/2 hard links/);
    const result = await redactRunFiles(runDir, createRedactor([VALUE]));
    expect(result.refused).toBe(1);
    expect(readFileSync(keysFile, "utf8")).toContain(VALUE);
  });
});

describe("a FIFO planted at console.log and exitcode", () => {
  beforeEach(() => {
    execFileSync("mkfifo", [join(runDir, "console.log")]);
    execFileSync("mkfifo", [join(runDir, "exitcode")]);
  });

  it("positive control: a plain read blocks until someone writes", async () => {
    const pending = readFile(join(runDir, "console.log"), "utf8");
    expect(await withTimeout(pending, 300)).toBe("timed out");
    // Unblock it (a writer that closes at once) so the test ends.
    const writer = await openRaw(join(runDir, "console.log"), "w");
    await writer.close();
    await pending;
  });

  it("is refused at once, and an exit code read from it is none", async () => {
    expect(
      await withTimeout(
        openRunFile(runDir, "console.log").catch((e: unknown) => e),
        2000,
      ),
    ).toBeInstanceOf(UnsafeRunFileError);
    expect(await withTimeout(readExitCode(runDir), 2000)).toBeNull();
    expect(await withTimeout(redactRunFiles(runDir, createRedactor([VALUE])), 2000)).toMatchObject({ scannedFiles: 0 });
  });
});

describe("a directory on the path swapped for a symlink", () => {
  beforeEach(() => {
    // work/ab → a directory elsewhere, holding a "task log" that is really someone else's file.
    mkdirSync(join(base, "elsewhere", "cdef"), { recursive: true });
    writeFileSync(join(base, "elsewhere", "cdef", ".command.out"), `${KEYS}\n${VALUE}\n`);
    mkdirSync(join(runDir, "work"));
    symlinkSync(join(base, "elsewhere"), join(runDir, "work", "ab"));
  });

  it("positive control: a plain read through the path reaches the file", () => {
    expect(readFileSync(join(runDir, "work/ab/cdef/.command.out"), "utf8")).toContain(KEYS);
  });

  it("is refused when opened by path, and never entered by the walk", async () => {
    await expect(openRunFile(runDir, "work/ab/cdef/.command.out")).rejects.toThrow(/symbolic link/);
    const walk = await walkRunDir(runDir, { want: () => true, maxDepth: 5, maxEntries: 100 });
    expect(walk.files).toEqual([]);
    await redactRunFiles(runDir, createRedactor([VALUE]));
    expect(readFileSync(join(base, "elsewhere", "cdef", ".command.out"), "utf8")).toContain(VALUE);
  });
});

describe("trace.tsv and exitcode", () => {
  it("a symlinked trace gives no progress, a symlinked exitcode no exit code", async () => {
    writeFileSync(join(base, "worker", "trace"), "task_id\tstatus\n1\tCOMPLETED\n");
    symlinkSync(join(base, "worker", "trace"), join(runDir, "trace.tsv"));
    writeFileSync(join(base, "worker", "code"), "0\n");
    symlinkSync(join(base, "worker", "code"), join(runDir, "exitcode"));
    await expect(readTraceSummary(runDir)).rejects.toBeInstanceOf(UnsafeRunFileError);
    expect(await readExitCode(runDir)).toBeNull();
  });

  it("plain files are read (the same code path's positive control)", async () => {
    writeFileSync(join(runDir, "trace.tsv"), "task_id\tstatus\n1\tCOMPLETED\n2\tFAILED\n");
    writeFileSync(join(runDir, "exitcode"), "3\n");
    expect(await readTraceSummary(runDir)).toEqual({ tasks: 2, succeeded: 1, failed: 1, running: 0 });
    expect(await readExitCode(runDir)).toBe(3);
  });
});

describe("writeRunFile", () => {
  it("replaces a planted symlink instead of writing through it", async () => {
    symlinkSync(keysFile, join(runDir, "head.sh"));
    await writeRunFile(runDir, "head.sh", "#!/bin/sh\n", 0o700);
    expect(readFileSync(keysFile, "utf8")).toContain(KEYS);
    expect(readFileSync(join(runDir, "head.sh"), "utf8")).toBe("#!/bin/sh\n");
    expect(statSync(join(runDir, "head.sh")).mode & 0o777).toBe(0o700);
  });
});

describe("walkRunDir bounds", () => {
  it("stops after maxEntries and at maxDepth", async () => {
    for (let i = 0; i < 50; i++) writeFileSync(join(runDir, `f${i}`), "");
    let deep = runDir;
    for (let i = 0; i < 10; i++) mkdirSync((deep = join(deep, "d")));
    writeFileSync(join(deep, "bottom"), "");
    const few = await walkRunDir(runDir, { want: () => true, maxDepth: 20, maxEntries: 10 });
    expect(few.truncated).toBe(true);
    expect(few.files.length).toBeLessThanOrEqual(10);
    const shallow = await walkRunDir(runDir, {
      want: (_rel, name) => name === "bottom",
      maxDepth: 3,
      maxEntries: 1000,
    });
    expect(shallow).toEqual({ files: [], truncated: true });
  });
});
