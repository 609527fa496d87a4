import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync, readdirSync, lstatSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { paramsForNextflow, renderParamsJson, writeParamsFile } from "./params";

describe("params for Nextflow", () => {
  it("keeps every value's text, whatever it holds", () => {
    const hostile = {
      option: "-process.beforeScript=(id)>>/tmp/pwned",
      quotes: `'single' "double" \`tick\``,
      subst: "$(touch /tmp/pwned) ${projectDir} ${HOME} $HOME",
      lines: "a\nb\r\nc\u0001",
      unicode: "é 日本 🧪",
    };
    const json = renderParamsJson(hostile);
    expect(json).toMatch(/^[\x20-\x7e]*$/); // ASCII only
    expect(json).not.toContain("$"); // Nextflow substitutes ${…} in the file's raw text
    expect(JSON.parse(json)).toEqual(hostile);
  });

  it("types values as Nextflow's command line did, only where the text is kept", () => {
    expect(paramsForNextflow({ n: "3", big: "123456789012345678", t: "true", f: "false", z: "0" })).toEqual({
      n: 3,
      big: "123456789012345678",
      t: true,
      f: false,
      z: 0,
    });
    // Nextflow's own rule made these 7, true and 1.5: they stay what was typed.
    expect(paramsForNextflow({ a: "007", b: "TRUE", c: "1.50", d: "-1", e: "1e5" })).toEqual({
      a: "007",
      b: "TRUE",
      c: "1.50",
      d: "-1",
      e: "1e5",
    });
    expect(paramsForNextflow({ n: 3, ok: false })).toEqual({ n: 3, ok: false });
  });

  it("nests dotted names and camel-cases kebab-case ones, as --name options did", () => {
    expect(paramsForNextflow({ "a.b-c": "x", "a-b.c": "y", "x--y": "z", "u-": "w", "Foo-Bar": "v" })).toEqual({
      a: { bC: "x" },
      "a-b": { c: "y" },
      xY: "z",
      u: "w",
      FooBar: "v",
    });
    expect(paramsForNextflow({ a: "1", "a.b": "2" })).toEqual({ a: { b: 2 } });
  });

  it("still refuses a name that is not a param name", () => {
    expect(() => paramsForNextflow({ "-x": "1" })).toThrow(/param name "-x"/);
    expect(() => paramsForNextflow({ "a b": "1" })).toThrow(/param name/);
    expect(() => paramsForNextflow({ "a..b": "1" })).toThrow(/empty part/);
  });

  it("writes params.json 0600, replacing (not following) whatever was at that name", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-params-"));
    const target = join(dir, "elsewhere");
    writeFileSync(target, "untouched");
    symlinkSync(target, join(dir, "params.json"));
    const path = await writeParamsFile(dir, { greeting: "-x" });
    expect(path).toBe(join(dir, "params.json"));
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({ greeting: "-x" });
    expect(readFileSync(target, "utf8")).toBe("untouched");
    expect(readdirSync(dir).sort()).toEqual(["elsewhere", "params.json"]);
  });

  it("writes nothing when a name is refused", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-params-"));
    await expect(writeParamsFile(dir, { "-x": "1" })).rejects.toThrow(/param name/);
    expect(readdirSync(dir)).toEqual([]);
  });
});
