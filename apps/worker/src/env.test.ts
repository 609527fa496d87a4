import { chmodSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readKeysFile } from "./env";

const dir = mkdtempSync(join(tmpdir(), "lockstep-keysfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, mode: number, text = "k1:private-key-material") => {
  const path = join(dir, name);
  writeFileSync(path, text, { mode });
  chmodSync(path, mode);
  return path;
};

describe("readKeysFile", () => {
  it("reads a 0600 or 0400 file of the worker's own", () => {
    expect(readKeysFile(file("ok", 0o600))).toBe("k1:private-key-material");
    expect(readKeysFile(file("ro", 0o400))).toBe("k1:private-key-material");
  });

  it("refuses a file the group or others can read, a link, a directory and an empty file — without printing the keys", () => {
    const attempts = [
      () => readKeysFile(file("wide", 0o644)),
      () => readKeysFile(file("group", 0o640)),
      () => {
        const link = join(dir, "link");
        symlinkSync(file("target", 0o600), link);
        return readKeysFile(link);
      },
      () => readKeysFile(dir),
      () => readKeysFile(file("empty", 0o600, "")),
    ];
    const messages = attempts.map((attempt) => {
      try {
        attempt();
        return "accepted";
      } catch (error) {
        return (error as Error).message;
      }
    });
    expect(messages[0]).toMatch(/readable by others \(mode 644\)/);
    expect(messages[1]).toMatch(/readable by others \(mode 640\)/);
    expect(messages[2]).toMatch(/symbolic link/);
    expect(messages[3]).toMatch(/not a regular file/);
    expect(messages[4]).toMatch(/is empty/);
    expect(messages.join("\n")).not.toContain("private-key-material");
  });
});
