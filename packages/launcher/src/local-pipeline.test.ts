import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { isRemotePipeline, LOCAL_PIPELINES_OFF, resolveLocalPipeline } from "./local-pipeline";

/** Every file below holds this marker: no refusal may ever contain it. */
const MARKER = "MARKER-content-must-never-be-echoed";
const fixturesRoot = resolve(import.meta.dirname, "../../../e2e/fixtures/pipelines");

let base: string;
let root: string;
let outside: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "lockstep-local-pipeline-")));
  root = join(base, "root");
  outside = join(base, "outside");
  await mkdir(join(root, "good"), { recursive: true });
  await writeFile(join(root, "good", "main.nf"), `// ${MARKER}\nworkflow { println 'hi' }\n`);
  await mkdir(join(root, "empty"), { recursive: true });
  await writeFile(join(root, "empty", "README"), `${MARKER}\n`);
  await mkdir(join(outside, "pipeline"), { recursive: true });
  await writeFile(join(outside, "pipeline", "main.nf"), `${MARKER}\n`);
  await writeFile(join(outside, "secret.txt"), `${MARKER}\n`);
  // Inside the root, pointing out of it: a directory link, and a main.nf that is a link.
  await symlink(join(outside, "pipeline"), join(root, "escape"));
  await mkdir(join(root, "linked-main"));
  await symlink(join(outside, "secret.txt"), join(root, "linked-main", "main.nf"));
  // A link that stays inside the root is fine.
  await symlink(join(root, "good"), join(root, "alias"));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("resolveLocalPipeline", () => {
  it("accepts a directory holding main.nf inside a root, and returns its real path (positive control)", async () => {
    expect(await resolveLocalPipeline(join(root, "good"), [root])).toEqual({
      ok: true,
      dir: join(root, "good"),
      mainScript: join(root, "good", "main.nf"),
    });
    expect(await resolveLocalPipeline(`${join(root, "good")}/`, [root])).toMatchObject({
      ok: true,
      dir: join(root, "good"),
    });
    expect(await resolveLocalPipeline(join(root, "alias"), ["/nonexistent-root", root])).toMatchObject({
      ok: true,
      dir: join(root, "good"),
    });
    expect(await resolveLocalPipeline(join(fixturesRoot, "sleeps"), [fixturesRoot])).toMatchObject({
      ok: true,
      mainScript: join(await realpath(fixturesRoot), "sleeps", "main.nf"),
    });
  });

  it.each([
    ["/etc/shadow", () => "/etc/shadow", /outside the allowed pipeline directories/],
    ["a file outside the roots", () => join(outside, "secret.txt"), /outside the allowed pipeline directories/],
    ["a symlink pointing out of the root", () => join(root, "escape"), /through a symbolic link/],
    ["a path with ..", () => `${root}/good/../../outside/pipeline`, /must not contain '\.\.'/],
    ["a path with .. that stays inside", () => `${root}/empty/../good`, /must not contain '\.\.'/],
    ["a file instead of a directory", () => join(root, "good", "main.nf"), /a file, not a directory/],
    ["a directory without main.nf", () => join(root, "empty"), /has no main\.nf/],
    [
      "a main.nf that is a symlink out",
      () => join(root, "linked-main"),
      /has no main\.nf \(a regular file, not a link\)/,
    ],
    ["a path that does not exist", () => join(root, "missing"), /does not exist/],
    ["a relative path", () => "good", /not absolute/],
  ])("refuses %s without echoing any file content", async (_, path, message) => {
    const result = await resolveLocalPipeline(path(), [root]);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.message).toMatch(message);
    expect(result.message).toContain(`A local pipeline must be a directory holding main.nf inside ${root}.`);
    expect(result.message).not.toContain(MARKER);
    // /etc/shadow's lines start with "<user>:"; nothing of the kind may appear.
    expect(result.message).not.toMatch(/root:/);
  });

  it("refuses every local path when no root is configured, saying how to allow them", async () => {
    expect(await resolveLocalPipeline(join(root, "good"), [])).toEqual({ ok: false, message: LOCAL_PIPELINES_OFF });
    expect(LOCAL_PIPELINES_OFF).toMatch(/LOCKSTEP_LOCAL_PIPELINE_ROOTS/);
  });

  it("tells https repositories from local paths", () => {
    expect(isRemotePipeline("https://github.com/nf-core/rnaseq")).toBe(true);
    expect(isRemotePipeline("/srv/pipelines/qc")).toBe(false);
    expect(isRemotePipeline("http://example.org/x")).toBe(false);
  });
});
