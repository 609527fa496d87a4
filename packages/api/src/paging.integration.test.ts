import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, insertRun, schema, sql } from "@lockstep/db";
import { encodeCursor } from "@lockstep/validators";
import { addOrgMember, addParticipant, callerFor, makeUser } from "./test/fixtures";

/**
 * Every list answers pages through the API: walking a list two rows at a time with each page's
 * last cursor yields every row once, in the list's order; bad paging input is refused naming the
 * field; the Secrets list and the Launch form read names in the same order.
 */
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
afterAll(close);

const awsKey = JSON.stringify({
  accessKeyId: "AKIAABCDEFGHIJKLMNOP",
  secretAccessKey: "0123456789abcdef0123456789abcdef",
});
const errorOf = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (e: unknown) => (e instanceof TRPCError ? { code: e.code, message: e.message } : { code: String(e), message: "" }),
  );

async function setup() {
  const owner = await makeUser(db, "pager");
  const asOwner = callerFor(db, owner.id);
  const org = await asOwner.orgs.create({ name: "Pages", slug: `pages-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Paged" });
  return { owner, asOwner, org, ws };
}

/** All rows of a list, two per page; also checks no page is longer than asked. */
async function walk<R extends { cursor: string }>(page: (cursor: string | undefined) => Promise<R[]>): Promise<R[]> {
  const all: R[] = [];
  let cursor: string | undefined;
  for (let guard = 0; guard < 100; guard++) {
    const rows = await page(cursor);
    expect(rows.length).toBeLessThanOrEqual(2);
    all.push(...rows);
    if (rows.length < 2) return all;
    cursor = rows.at(-1)!.cursor;
  }
  throw new Error("did not end");
}

describe("every list pages with a cursor", () => {
  it("secrets (by name and by last write, with search), user secrets, runs, pipelines, compute environments, credentials", async () => {
    const { owner, asOwner, ws } = await setup();
    const names = ["b_ONE", "A_TWO", "a_three", "C4", "DB_PASSWORD"];
    for (const name of names) await asOwner.secrets.create({ workspaceId: ws.id, name, value: { plain: "v" } });
    const byName = await walk((cursor) => asOwner.secrets.list({ workspaceId: ws.id, limit: 2, cursor }));
    const all = await asOwner.secrets.list({ workspaceId: ws.id, limit: 200 });
    expect(byName.map((s) => s.name)).toEqual(all.map((s) => s.name));
    expect(new Set(byName.map((s) => s.id)).size).toBe(names.length);
    const byWrite = await walk((cursor) =>
      asOwner.secrets.list({ workspaceId: ws.id, limit: 2, cursor, sort: "updated" }),
    );
    expect(byWrite.map((s) => s.name)).toEqual([...names].reverse());
    // Search is on the server and takes `_` literally (not LIKE's "any character").
    expect((await asOwner.secrets.list({ workspaceId: ws.id, search: "a_t" })).map((s) => s.name).sort()).toEqual([
      "A_TWO",
      "a_three",
    ]);
    expect((await asOwner.secrets.list({ workspaceId: ws.id, search: "B_" })).map((s) => s.name).sort()).toEqual([
      "DB_PASSWORD",
      "b_ONE",
    ]);

    // The Launch form's names come in the Secrets list's order.
    const launch = await asOwner.runs.effectiveSecrets({ workspaceId: ws.id });
    expect(launch.secrets.map((s) => s.name)).toEqual(all.map((s) => s.name));

    for (const name of ["U_ONE", "U_TWO", "U_THREE"]) await asOwner.userSecrets.create({ name, value: { plain: "v" } });
    expect((await walk((cursor) => asOwner.userSecrets.list({ limit: 2, cursor }))).map((s) => s.name)).toEqual([
      "U_ONE",
      "U_THREE",
      "U_TWO",
    ]);

    for (let i = 0; i < 5; i++) {
      await insertRun(db, {
        workspaceId: ws.id,
        launchedBy: owner.id,
        pipelineName: `run-${i}`,
        repository: "https://example.test/p",
        computeEnvName: "ce",
        computeEnvKind: "local",
        deadlineAt: new Date(Date.now() + 3_600_000),
      });
    }
    // Two runs submitted at the very same microsecond: only the id orders them.
    await db.execute(
      sql`update runs set submitted_at = '2026-11-30 10:00:00.000001+00' where workspace_id = ${ws.id} and pipeline_name in ('run-1', 'run-2')`,
    );
    const runs = await walk((cursor) => asOwner.runs.list({ workspaceId: ws.id, limit: 2, cursor }));
    const expected = await db.execute<{ id: string }>(
      sql`select id from runs where workspace_id = ${ws.id} order by submitted_at desc, id desc`,
    );
    expect(runs.map((r) => r.id)).toEqual([...expected].map((r) => r.id));
    expect((await asOwner.runs.list({ workspaceId: ws.id, search: "run-3" })).map((r) => r.pipelineName)).toEqual([
      "run-3",
    ]);
    expect(await asOwner.runs.list({ workspaceId: ws.id, status: ["FAILED"] })).toEqual([]);

    for (const name of ["p-c", "p-a", "p-b"])
      await db.insert(schema.pipelines).values({ workspaceId: ws.id, name, repository: "https://example.test/p" });
    expect(
      (await walk((cursor) => asOwner.pipelines.list({ workspaceId: ws.id, limit: 2, cursor }))).map((p) => p.name),
    ).toEqual(["p-a", "p-b", "p-c"]);
    for (const name of ["ce-c", "ce-a", "ce-b"])
      await db
        .insert(schema.computeEnvs)
        .values({ workspaceId: ws.id, name, kind: "local", workDir: "/tmp/w", nextflowVersion: "24.10.8" });
    expect(
      (await walk((cursor) => asOwner.computeEnvs.list({ workspaceId: ws.id, limit: 2, cursor }))).map((c) => c.name),
    ).toEqual(["ce-a", "ce-b", "ce-c"]);
    for (const name of ["k-c", "k-a", "k-b"])
      await asOwner.credentials.create({ workspaceId: ws.id, name, provider: "aws", value: { plain: awsKey } });
    expect(
      (await walk((cursor) => asOwner.credentials.list({ workspaceId: ws.id, limit: 2, cursor }))).map((c) => c.name),
    ).toEqual(["k-a", "k-b", "k-c"]);
  });

  it("access tokens, participants, members and invitations", async () => {
    const { owner, asOwner, org, ws } = await setup();
    for (const name of ["t1", "t2", "t3"]) await asOwner.me.tokens.create({ name, scopes: ["read"] });
    expect((await walk((cursor) => asOwner.me.tokens.list({ limit: 2, cursor }))).map((t) => t.name)).toEqual([
      "t1",
      "t2",
      "t3",
    ]);

    const people = [await makeUser(db, "p1"), await makeUser(db, "p2"), await makeUser(db, "p3")];
    for (const user of people) {
      await addOrgMember(db, asOwner, { orgId: org.id, user, role: "member" });
      await addParticipant(db, asOwner, { workspaceId: ws.id, user, role: "view" });
    }
    const participants = await walk((cursor) =>
      asOwner.workspaces.participants.list({ workspaceId: ws.id, limit: 2, cursor }),
    );
    expect(participants.map((p) => p.userId).sort()).toEqual([owner.id, ...people.map((p) => p.id)].sort());
    const members = await walk((cursor) => asOwner.orgs.members.list({ orgId: org.id, limit: 2, cursor }));
    expect(members.map((m) => m.userId).sort()).toEqual([owner.id, ...people.map((p) => p.id)].sort());

    for (const email of ["c@example.test", "a@example.test", "b@example.test"]) {
      await asOwner.workspaces.participants.add({
        workspaceId: ws.id,
        email: `${owner.id.slice(0, 6)}-${email}`,
        role: "view",
      });
      await asOwner.orgs.members.add({ orgId: org.id, email: `${owner.id.slice(0, 6)}-org-${email}`, role: "member" });
    }
    expect(
      (
        await walk((cursor) =>
          asOwner.workspaces.participants.invitations.list({ workspaceId: ws.id, limit: 2, cursor }),
        )
      ).map((i) => i.email.slice(7)),
    ).toEqual(["a@example.test", "b@example.test", "c@example.test"]);
    expect(
      (await walk((cursor) => asOwner.orgs.members.invitations.list({ orgId: org.id, limit: 2, cursor }))).map((i) =>
        i.email.slice(7),
      ),
    ).toEqual(["org-a@example.test", "org-b@example.test", "org-c@example.test"]);
    const invitee = await makeUser(db, "invitee");
    await asOwner.workspaces.participants.add({ workspaceId: ws.id, email: invitee.email, role: "view" });
    expect(
      (await walk((cursor) => callerFor(db, invitee.id).invitations.list({ limit: 2, cursor }))).map(
        (i) => i.workspaceId,
      ),
    ).toEqual([ws.id]);
  });
});

describe("bad paging input is refused, naming the field and the rule", () => {
  it("limit beyond 200, below 1; a cursor that is not one; a cursor of another order", async () => {
    const { asOwner, ws } = await setup();
    await asOwner.secrets.create({ workspaceId: ws.id, name: "ONE", value: { plain: "v" } });
    expect(await errorOf(asOwner.secrets.list({ workspaceId: ws.id, limit: 201 }))).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^limit: Must be at most 200/),
    });
    expect(await errorOf(asOwner.runs.list({ workspaceId: ws.id, limit: 0 }))).toEqual({
      code: "BAD_REQUEST",
      message: "limit: Must be at least 1.",
    });
    expect(await errorOf(asOwner.pipelines.list({ workspaceId: ws.id, cursor: "not-a-cursor" }))).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^cursor: Not a cursor from this list/),
    });
    const [row] = await asOwner.secrets.list({ workspaceId: ws.id, sort: "name" });
    expect(await errorOf(asOwner.secrets.list({ workspaceId: ws.id, sort: "updated", cursor: row!.cursor }))).toEqual({
      code: "BAD_REQUEST",
      message: expect.stringMatching(/^cursor: This cursor belongs to the "name" order, not "updated"/),
    });
    // Control: the same cursor in its own order is accepted.
    expect(await asOwner.secrets.list({ workspaceId: ws.id, sort: "name", cursor: row!.cursor })).toEqual([]);
    // A well-formed cursor naming a row of another tenant reveals nothing: it is only a position.
    expect(
      await asOwner.secrets.list({
        workspaceId: ws.id,
        cursor: encodeCursor({ sort: "name", key: "", id: "00000000-0000-4000-8000-000000000000" }),
      }),
    ).toHaveLength(1);
  });
});
