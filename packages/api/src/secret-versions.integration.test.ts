import { randomUUID } from "node:crypto";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { createDatabase, eq, insertRun, schema, sql, type TRunSecretVersion } from "@lockstep/db";
import { addParticipant, callerFor, makeUser, pipelinesRoot } from "./test/fixtures";

/**
 * Part 5 of issue 16 through the API, with a real database: every write of a secret is a version
 * (who, when; never a value), the old value is gone from every table after an overwrite, and a run
 * says which versions it received, what changed since, and whether another run got the same value —
 * by comparing keyed fingerprints the API never returns. The worker's side (recording versions and
 * fingerprints as it provisions) is apps/worker/src/secret-versions.integration.test.ts.
 */
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );

async function setup() {
  const owner = await makeUser(db, "owner");
  const viewer = await makeUser(db, "viewer");
  const asOwner = callerFor(db, owner.id);
  const org = await asOwner.orgs.create({ name: "Versions", slug: `versions-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Versions" });
  await addParticipant(db, asOwner, { workspaceId: ws.id, user: viewer, role: "view" });
  return { owner, viewer, asOwner, asViewer: callerFor(db, viewer.id), ws };
}

/** Every row of every table in the schema, as text: where an old value or ciphertext could hide. */
async function everythingStored(): Promise<string> {
  const tables = await db.execute<{ table_name: string }>(
    sql`select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE'`,
  );
  const parts: string[] = [];
  for (const { table_name } of tables as unknown as Array<{ table_name: string }>) {
    const rows = await db.execute(sql.raw(`select t::text as row from "${table_name.replace(/"/g, '""')}" t`));
    for (const r of rows as unknown as Array<{ row: string }>) parts.push(r.row);
  }
  return parts.join("\n");
}

describe("secret versions", () => {
  it("start at 1, go up by one on every overwrite (form, import, personal), and keep who and when — never a value", async () => {
    const { owner, asOwner, asViewer, ws } = await setup();
    const created = await asOwner.secrets.create({
      workspaceId: ws.id,
      name: "DB_PASSWORD",
      value: { plain: "v1-value" },
    });
    await asOwner.secrets.update({ workspaceId: ws.id, secretId: created.id, value: { plain: "v2-value" } });
    await asOwner.secrets.import({
      workspaceId: ws.id,
      entries: [{ line: 1, name: "DB_PASSWORD", value: { plain: "v3-value" } }],
      overwrite: true,
    });
    const listed = (await asOwner.secrets.list({ workspaceId: ws.id })).find((s) => s.name === "DB_PASSWORD")!;
    expect(listed.version).toBe(3);

    // Anyone who may list the workspace's secrets reads their history (a viewer too), newest first.
    const history = await asViewer.secrets.history({ workspaceId: ws.id, secretId: created.id });
    expect(history.versions.map((v) => [v.version, v.action, v.via, v.writtenBy?.id])).toEqual([
      [3, "overwritten", "import", owner.id],
      [2, "overwritten", null, owner.id],
      [1, "created", null, owner.id],
    ]);
    expect(Date.parse(history.versions[0]!.writtenAt)).toBeGreaterThanOrEqual(
      Date.parse(history.versions[2]!.writtenAt),
    );
    expect(JSON.stringify(history)).not.toMatch(/v[123]-value/);

    // Paged: two at a time, then the rest.
    const first = await asOwner.secrets.history({ workspaceId: ws.id, secretId: created.id, limit: 2 });
    expect(first.versions.map((v) => v.version)).toEqual([3, 2]);
    const rest = await asOwner.secrets.history({
      workspaceId: ws.id,
      secretId: created.id,
      limit: 2,
      cursor: first.nextCursor!,
    });
    expect([rest.versions.map((v) => v.version), rest.nextCursor]).toEqual([[1], null]);

    // Personal secrets keep theirs the same way, for their owner.
    const mine = await asOwner.userSecrets.create({ name: "MY_TOKEN", value: { plain: "mine-1" } });
    await asOwner.userSecrets.update({ secretId: mine.id, value: { plain: "mine-2" } });
    expect((await asOwner.userSecrets.list()).find((s) => s.id === mine.id)!.version).toBe(2);
    expect((await asOwner.userSecrets.history({ secretId: mine.id })).versions.map((v) => v.version)).toEqual([2, 1]);
  });

  it("an overwrite leaves no trace of the old value or its ciphertext in any table", async () => {
    const { asOwner, ws } = await setup();
    const marker = `OLDVALUE${randomUUID().replace(/-/g, "")}`;
    const created = await asOwner.secrets.create({ workspaceId: ws.id, name: "API_TOKEN", value: { plain: marker } });
    const [before] = await db
      .select({ sealed: schema.secrets.sealed })
      .from(schema.secrets)
      .where(eq(schema.secrets.id, created.id));
    const oldCiphertext = before!.sealed;
    // Positive control: the scan finds the ciphertext while it is the current value.
    expect(await everythingStored()).toContain(oldCiphertext);
    await asOwner.secrets.update({ workspaceId: ws.id, secretId: created.id, value: { plain: "the-new-value" } });
    const stored = await everythingStored();
    expect(stored).not.toContain(oldCiphertext);
    // The envelope's last part is the ciphertext proper: not kept anywhere on its own either.
    expect(stored).not.toContain(oldCiphertext.split(".").at(-1)!);
    expect(stored).not.toContain(marker);
    expect((await asOwner.secrets.history({ workspaceId: ws.id, secretId: created.id })).versions).toHaveLength(2);
  });

  it("history of a secret in another tenant, of another user, or of a workspace secret as a personal one is NOT_FOUND", async () => {
    const a = await setup();
    const b = await setup();
    const bSecret = await b.asOwner.secrets.create({ workspaceId: b.ws.id, name: "B_ONLY", value: { plain: "b" } });
    const bMine = await b.asOwner.userSecrets.create({ name: "B_MINE", value: { plain: "b-mine" } });
    // Alice's own workspace, Bob's secret id; Bob's workspace (she is no participant); Bob's personal secret.
    expect(await codeOf(a.asOwner.secrets.history({ workspaceId: a.ws.id, secretId: bSecret.id }))).toBe("NOT_FOUND");
    expect(await codeOf(a.asOwner.secrets.history({ workspaceId: b.ws.id, secretId: bSecret.id }))).toBe("NOT_FOUND");
    expect(await codeOf(a.asOwner.userSecrets.history({ secretId: bMine.id }))).toBe("NOT_FOUND");
    expect(await codeOf(b.asOwner.userSecrets.history({ secretId: bSecret.id }))).toBe("NOT_FOUND");
    // A participant of A's workspace cannot read Bob's personal history through it either.
    expect(await codeOf(a.asViewer.userSecrets.history({ secretId: bMine.id }))).toBe("NOT_FOUND");
    // Control: Bob reads both.
    expect(await codeOf(b.asOwner.secrets.history({ workspaceId: b.ws.id, secretId: bSecret.id }))).toBe("ok");
    expect(await codeOf(b.asOwner.userSecrets.history({ secretId: bMine.id }))).toBe("ok");
  });
});

describe("which versions a run received", () => {
  const key = FingerprintKey.fromSpec(FingerprintKey.generateSpec("api-fp"));

  /** A run as the worker leaves it after provisioning: the versions it read and their keyed fingerprints. */
  async function provisionedRun(
    ws: { id: string },
    launchedBy: string,
    received: Array<{ secretId: string; name: string; source: "workspace" | "user"; version: number; value: string }>,
  ) {
    const secretVersions: TRunSecretVersion[] = received.map((r) => ({
      secretId: r.secretId,
      name: r.name,
      source: r.source,
      version: r.version,
      fingerprint: key.of(r.value),
    }));
    return insertRun(db, {
      workspaceId: ws.id,
      launchedBy,
      pipelineName: "secrets-hash",
      repository: `${pipelinesRoot}/secrets-hash`,
      computeEnvName: "Local",
      computeEnvKind: "local",
      deadlineAt: new Date(Date.now() + 3_600_000),
      secretRefs: received.map((r) => ({ name: r.name, source: r.source, secretId: r.secretId })),
      secretVersions,
    });
  }

  it("says what changed since (the relaunch warning), and whether another run got the same value without returning any fingerprint", async () => {
    const { owner, asOwner, asViewer, ws } = await setup();
    const db1 = await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: "db-1" } });
    const tok = await asOwner.secrets.create({ workspaceId: ws.id, name: "API_TOKEN", value: { plain: "tok-1" } });
    const gone = await asOwner.secrets.create({ workspaceId: ws.id, name: "OLD_ONE", value: { plain: "old" } });
    const mine = await asOwner.userSecrets.create({ name: "MY_KEY", value: { plain: "mine-1" } });
    const runA = await provisionedRun(ws, owner.id, [
      { secretId: db1.id, name: "DB_PASSWORD", source: "workspace", version: 1, value: "db-1" },
      { secretId: tok.id, name: "API_TOKEN", source: "workspace", version: 1, value: "tok-1" },
      { secretId: gone.id, name: "OLD_ONE", source: "workspace", version: 1, value: "old" },
      { secretId: mine.id, name: "MY_KEY", source: "user", version: 1, value: "mine-1" },
    ]);
    // Nothing changed yet.
    const fresh = await asOwner.runs.secretVersions({ workspaceId: ws.id, runId: runA.id });
    expect(fresh.secrets.filter((s) => s.changed)).toEqual([]);

    // DB_PASSWORD gets a new value; API_TOKEN is overwritten with the same value; OLD_ONE is deleted; MY_KEY changes.
    await asOwner.secrets.update({ workspaceId: ws.id, secretId: db1.id, value: { plain: "db-2" } });
    await asOwner.secrets.update({ workspaceId: ws.id, secretId: tok.id, value: { plain: "tok-1" } });
    await asOwner.secrets.delete({ workspaceId: ws.id, secretId: gone.id });
    await asOwner.userSecrets.update({ secretId: mine.id, value: { plain: "mine-2" } });
    const since = await asOwner.runs.secretVersions({ workspaceId: ws.id, runId: runA.id });
    expect(since.recorded).toBe(true);
    expect(since.secrets.map((s) => [s.name, s.version, s.currentVersion, s.changed])).toEqual([
      ["DB_PASSWORD", 1, 2, true],
      ["API_TOKEN", 1, 2, true],
      ["OLD_ONE", 1, null, true],
      ["MY_KEY", 1, 2, true],
    ]);
    // Another participant reads the personal secret as a count only.
    const asOther = await asViewer.runs.secretVersions({ workspaceId: ws.id, runId: runA.id });
    expect(asOther.secrets.map((s) => s.name)).toEqual(["DB_PASSWORD", "API_TOKEN", "OLD_ONE"]);
    expect(asOther.personal).toEqual({ count: 1, changed: 1 });
    expect(JSON.stringify(asOther)).not.toContain("MY_KEY");

    // Run B got the new DB_PASSWORD and the same API_TOKEN value (version 2).
    const runB = await provisionedRun(ws, owner.id, [
      { secretId: db1.id, name: "DB_PASSWORD", source: "workspace", version: 2, value: "db-2" },
      { secretId: tok.id, name: "API_TOKEN", source: "workspace", version: 2, value: "tok-1" },
      { secretId: mine.id, name: "MY_KEY", source: "user", version: 2, value: "mine-1" },
    ]);
    const compared = await asOwner.runs.secretVersions({ workspaceId: ws.id, runId: runB.id, sameAs: runA.id });
    expect(compared.comparedWith).toBe(runA.id);
    expect(compared.secrets.map((s) => [s.name, s.sameValue])).toEqual([
      ["DB_PASSWORD", false],
      ["API_TOKEN", true],
      ["MY_KEY", true],
    ]);
    // Personal secrets are compared only for the launcher of both runs.
    expect(
      (await asViewer.runs.secretVersions({ workspaceId: ws.id, runId: runB.id, sameAs: runA.id })).secrets.map((s) => [
        s.name,
        s.sameValue,
      ]),
    ).toEqual([
      ["DB_PASSWORD", false],
      ["API_TOKEN", true],
    ]);
    // No output carries a fingerprint.
    const outputs = JSON.stringify([
      since,
      asOther,
      compared,
      await asOwner.runs.get({ workspaceId: ws.id, runId: runB.id }),
      await asOwner.runs.list({ workspaceId: ws.id }),
    ]);
    for (const v of ["db-1", "db-2", "tok-1", "mine-1"]) expect(outputs).not.toContain(key.of(v).mac);

    // Fingerprints under another key say nothing: "cannot tell", not "different".
    const otherKey = FingerprintKey.fromSpec(FingerprintKey.generateSpec("rotated-fp"));
    const runC = await insertRun(db, {
      workspaceId: ws.id,
      launchedBy: owner.id,
      pipelineName: "secrets-hash",
      repository: `${pipelinesRoot}/secrets-hash`,
      computeEnvName: "Local",
      computeEnvKind: "local",
      deadlineAt: new Date(Date.now() + 3_600_000),
      secretRefs: [{ name: "API_TOKEN", source: "workspace", secretId: tok.id }],
      secretVersions: [
        { secretId: tok.id, name: "API_TOKEN", source: "workspace", version: 2, fingerprint: otherKey.of("tok-1") },
      ],
    });
    expect(
      (await asOwner.runs.secretVersions({ workspaceId: ws.id, runId: runC.id, sameAs: runB.id })).secrets.map(
        (s) => s.sameValue,
      ),
    ).toEqual([null]);
  });

  it("the secrets list says which run last received each secret", async () => {
    const { owner, asOwner, ws } = await setup();
    const s = await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: "x" } });
    expect((await asOwner.secrets.list({ workspaceId: ws.id }))[0]!.lastUsedRun).toBeNull();
    const run = await provisionedRun(ws, owner.id, [
      { secretId: s.id, name: "DB_PASSWORD", source: "workspace", version: 1, value: "x" },
    ]);
    await db
      .update(schema.secrets)
      .set({ lastUsedRunId: run.id, lastUsedAt: new Date(), lastUsedBy: owner.id })
      .where(eq(schema.secrets.id, s.id));
    expect((await asOwner.secrets.list({ workspaceId: ws.id }))[0]!.lastUsedRun).toEqual({
      id: run.id,
      workspaceId: ws.id,
    });
  });

  it("a run of another workspace is NOT_FOUND, as the run and as the run to compare with", async () => {
    const a = await setup();
    const b = await setup();
    const runB = await provisionedRun(b.ws, b.owner.id, []);
    const runA = await provisionedRun(a.ws, a.owner.id, []);
    expect(await codeOf(a.asOwner.runs.secretVersions({ workspaceId: a.ws.id, runId: runB.id }))).toBe("NOT_FOUND");
    expect(await codeOf(a.asOwner.runs.secretVersions({ workspaceId: a.ws.id, runId: runA.id, sameAs: runB.id }))).toBe(
      "NOT_FOUND",
    );
    expect(await codeOf(a.asOwner.runs.secretVersions({ workspaceId: b.ws.id, runId: runB.id }))).toBe("NOT_FOUND");
    expect(await codeOf(a.asOwner.runs.secretVersions({ workspaceId: a.ws.id, runId: runA.id }))).toBe("ok");
  });
});
