import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase } from "@lockstep/db";
import { callerFor, makeUser } from "./test/fixtures";

const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

/** Every file here holds this marker: no answer may ever contain it. */
const MARKER = "MARKER-pipeline-file-content";
let base: string;
let root: string;

beforeAll(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "lockstep-pipelines-it-")));
  root = join(base, "pipelines");
  const outside = join(base, "private");
  await mkdir(join(root, "hello"), { recursive: true });
  await writeFile(join(root, "hello", "main.nf"), `// ${MARKER}\nworkflow { println 'hello' }\n`);
  await mkdir(join(root, "no-main"));
  await writeFile(join(root, "no-main", "nextflow.config"), `// ${MARKER}\n`);
  await mkdir(join(outside, "pipeline"), { recursive: true });
  await writeFile(join(outside, "pipeline", "main.nf"), `${MARKER}\n`);
  await writeFile(join(outside, "keys.json"), `{"key":"${MARKER}"}\n`);
  await symlink(join(outside, "pipeline"), join(root, "escape"));
});

afterAll(async () => {
  await rm(base, { recursive: true, force: true });
});

async function workspaceOfMaintainer() {
  const user = await makeUser(db, "pipelines");
  const as = callerFor(db, user.id, { config: { localPipelineRoots: [root] } });
  const org = await as.orgs.create({ name: "Pipelines", slug: `pl-${user.id.slice(0, 8)}` });
  const ws = await as.workspaces.create({ orgId: org.id, name: "Pipelines" });
  return { user, as, ws };
}

const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof TRPCError ? { code: e.code, message: e.message } : { code: "?", message: String(e) }),
  );

describe("pipelines given as a local path", () => {
  it("accepts a directory holding main.nf inside an allowed root, and https repositories anywhere (positive control)", async () => {
    const { as, ws } = await workspaceOfMaintainer();
    expect(
      await as.pipelines.create({ workspaceId: ws.id, pipeline: { name: "hello", repository: join(root, "hello") } }),
    ).toMatchObject({ repository: join(root, "hello") });
    expect(
      await as.pipelines.create({
        workspaceId: ws.id,
        pipeline: { name: "remote", repository: "https://github.com/nextflow-io/hello" },
      }),
    ).toMatchObject({ name: "remote" });
  });

  it.each([
    ["/etc/shadow", () => "/etc/shadow", "The path is outside the allowed pipeline directories."],
    [
      "the keys file beside the root",
      () => join(base, "private", "keys.json"),
      "The path is outside the allowed pipeline directories.",
    ],
    [
      "a symlink pointing out of the root",
      () => join(root, "escape"),
      "The path leads out of the allowed pipeline directories through a symbolic link.",
    ],
    ["a path with ..", () => `${root}/hello/../../private/pipeline`, "The path must not contain '..'."],
    [
      "a file instead of a directory",
      () => join(root, "hello", "main.nf"),
      "The path is a file, not a directory: give the directory that holds main.nf.",
    ],
    [
      "a directory without main.nf",
      () => join(root, "no-main"),
      "The directory has no main.nf (a regular file, not a link).",
    ],
  ])("refuses %s on the repository field, naming the rule and echoing no file content", async (_, path, problem) => {
    const { as, ws } = await workspaceOfMaintainer();
    const rule = `A local pipeline must be a directory holding main.nf inside ${root}.`;
    const created = await errorOf(
      as.pipelines.create({ workspaceId: ws.id, pipeline: { name: "p", repository: path() } }),
    );
    expect(created).toEqual({ code: "BAD_REQUEST", message: `pipeline.repository: ${problem} ${rule}` });
    expect(created!.message).not.toContain(MARKER);
    expect(created!.message).not.toMatch(/root:/);
    expect(await as.pipelines.list({ workspaceId: ws.id })).toEqual([]);

    // An edit is checked the same way, and leaves the pipeline as it was.
    const saved = await as.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name: "good", repository: join(root, "hello") },
    });
    const updated = await errorOf(
      as.pipelines.update({ workspaceId: ws.id, pipelineId: saved.id, pipeline: { name: "good", repository: path() } }),
    );
    expect(updated).toEqual({ code: "BAD_REQUEST", message: `pipeline.repository: ${problem} ${rule}` });
    expect((await as.pipelines.get({ workspaceId: ws.id, pipelineId: saved.id })).repository).toBe(join(root, "hello"));
  });

  it("refuses every local path when LOCKSTEP_LOCAL_PIPELINE_ROOTS is unset, saying how to allow them", async () => {
    const { user, ws } = await workspaceOfMaintainer();
    const as = callerFor(db, user.id, { config: { localPipelineRoots: [] } });
    const error = await errorOf(
      as.pipelines.create({ workspaceId: ws.id, pipeline: { name: "p", repository: join(root, "hello") } }),
    );
    expect(error?.code).toBe("BAD_REQUEST");
    expect(error?.message).toMatch(
      /^pipeline\.repository: Local pipeline paths are turned off on this instance\. .*LOCKSTEP_LOCAL_PIPELINE_ROOTS \(colon-separated absolute paths\)/,
    );
    expect(
      await as.pipelines.create({
        workspaceId: ws.id,
        pipeline: { name: "remote", repository: "https://github.com/nextflow-io/hello" },
      }),
    ).toMatchObject({ name: "remote" });
  });
});
