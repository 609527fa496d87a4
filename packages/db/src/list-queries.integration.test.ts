import { randomUUID } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import {
  createUserWithPersonalWorkspace,
  insertAccessToken,
  insertRun,
  insertSecret,
  listAccessTokens,
  listComputeEnvs,
  listPipelines,
  listRuns,
  listSecretMetadata,
  type TPage,
} from "./index";
import { queryPlanHarness } from "./test/query-plans";

/**
 * Every list pages on an index: each list query is captured as the code issues it (a second page,
 * with a cursor) and explained with sequential scans off — a plan that still scans the table, or
 * names another index, means no index serves the keyset. And a cursor keeps microseconds: rows
 * sharing a millisecond (or their whole timestamp) at a page boundary are neither skipped nor repeated.
 */
const { db, plain, planOf, lastIssued } = queryPlanHarness();

let userId = "";
let workspaceId = "";
beforeAll(async () => {
  const user = (await createUserWithPersonalWorkspace(db, {
    email: `lists-${randomUUID()}@example.test`,
    name: "Lister",
    passwordHash: null,
  }))!;
  userId = user.id;
  const [w] = await plain<Array<{ id: string }>>`select id from workspaces where personal_owner_id = ${user.id}`;
  workspaceId = w!.id;
});

/** Pages through `list` two rows at a time; returns the ids in the order seen. */
async function pageThrough<R extends { id: string; cursorKey: string }>(
  list: (page: TPage) => Promise<R[]>,
): Promise<string[]> {
  const seen: string[] = [];
  let after: TPage["after"] = null;
  for (let guard = 0; guard < 50; guard++) {
    const page = await list({ limit: 2, after });
    if (page.length === 0) break;
    seen.push(...page.map((r) => r.id));
    after = { key: page.at(-1)!.cursorKey, id: page.at(-1)!.id };
  }
  return seen;
}

describe("keyset cursors keep full precision", () => {
  it("secrets sorted by last write: a shared millisecond and a shared timestamp at page boundaries", async () => {
    const owner = { scope: "user" as const, userId };
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const row = await insertSecret(db, owner, { name: `TIE_${i}`, sealed: "x", keyId: "k", actorId: userId });
      ids.push(row!.id);
    }
    // Microseconds apart within one millisecond, and the last two exactly equal (only the id orders them).
    const stamps = [
      "2026-11-30 12:00:00.123001+00",
      "2026-11-30 12:00:00.123002+00",
      "2026-11-30 12:00:00.123003+00",
      "2026-11-30 12:00:00.123004+00",
      "2026-11-30 12:00:00.123004+00",
    ];
    // A literal: a timestamptz parameter would go through a JS Date, which keeps milliseconds only.
    for (const [i, id] of ids.entries())
      await plain.unsafe(`update secrets set updated_at = '${stamps[i]!}' where id = $1`, [id]);
    const rows = await plain<
      Array<{ id: string }>
    >`select id from secrets where user_id = ${userId} and scope = 'user' order by updated_at desc, id desc`;
    const seen = await pageThrough((page) => listSecretMetadata(db, owner, { ...page, sort: "updated" }));
    expect(seen).toEqual(rows.map((r) => r.id));
    expect(new Set(seen).size).toBe(5);

    // Positive control: a cursor cut to milliseconds (what a JS Date keeps) loses the rest of that millisecond.
    const first = await listSecretMetadata(db, owner, { limit: 2, sort: "updated" });
    const msKey = new Date(first.at(-1)!.cursorKey).toISOString();
    const cut = await listSecretMetadata(db, owner, {
      limit: 10,
      sort: "updated",
      after: { key: msKey, id: first.at(-1)!.id },
    });
    expect(first.at(-1)!.cursorKey).toBe("2026-11-30T12:00:00.123004Z");
    expect(cut).toEqual([]);
  });

  it("runs: five runs in one millisecond, two of them at the same microsecond", async () => {
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const run = await insertRun(db, {
        workspaceId,
        pipelineName: `p${i}`,
        repository: "https://example.test/p",
        computeEnvName: "ce",
        computeEnvKind: "local",
        deadlineAt: new Date(Date.now() + 3_600_000),
      });
      await plain.unsafe(
        `update runs set submitted_at = '2026-11-30 12:00:00.45600${Math.min(i, 4)}+00' where id = $1`,
        [run.id],
      );
      ids.push(run.id);
    }
    const expected = await plain<
      Array<{ id: string }>
    >`select id from runs where workspace_id = ${workspaceId} order by submitted_at desc, id desc`;
    const seen = await pageThrough(async (page) =>
      (await listRuns(db, workspaceId, page.limit, { cursor: page.after })).map((r) => ({
        id: r.run.id,
        cursorKey: r.cursorKey,
      })),
    );
    expect(seen).toEqual(expected.map((r) => r.id));
    expect(new Set(seen).size).toBe(5);
  });
});

describe("every list's page query uses an index", () => {
  const cursor = { key: "M", id: "00000000-0000-4000-8000-000000000000" };
  const at = { key: "2026-11-30T12:00:00.123456Z", id: cursor.id };
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    [
      "workspace secrets by name",
      () => listSecretMetadata(db, { scope: "workspace", workspaceId }, { limit: 50, after: cursor }),
      "secrets_workspace_name_key",
    ],
    [
      "workspace secrets by last write",
      () => listSecretMetadata(db, { scope: "workspace", workspaceId }, { limit: 50, after: at, sort: "updated" }),
      "secrets_workspace_updated_idx",
    ],
    [
      "user secrets by name",
      () => listSecretMetadata(db, { scope: "user", userId }, { limit: 50, after: cursor }),
      "secrets_user_name_key",
    ],
    [
      "user secrets by last write",
      () => listSecretMetadata(db, { scope: "user", userId }, { limit: 50, after: at, sort: "updated" }),
      "secrets_user_updated_idx",
    ],
    ["runs", () => listRuns(db, workspaceId, 50, { cursor: at }), "runs_workspace_submitted_id_idx"],
    ["pipelines", () => listPipelines(db, workspaceId, { limit: 50, after: cursor }), "pipelines_workspace_name_key"],
    [
      "compute environments",
      () => listComputeEnvs(db, workspaceId, { limit: 50, after: cursor }),
      "compute_envs_workspace_name_key",
    ],
    [
      "access tokens",
      () => listAccessTokens(db as never, userId, { limit: 50, after: at }),
      "access_tokens_user_created_idx",
    ],
  ];
  it.each(cases)("%s", async (_name, use, index) => {
    const { query, parameters } = await lastIssued(use);
    expect(await planOf(query, parameters)).toContain(index);
  });

  it("positive control: the runs page without its index is a scan of another kind", async () => {
    const { query, parameters } = await lastIssued(() => listRuns(db, workspaceId, 50, { cursor: at }));
    let plan = "";
    // Dropped inside a transaction that is then thrown away: the index stays for everyone else.
    await plain
      .begin(async (tx) => {
        await tx.unsafe("set local enable_seqscan = off");
        await tx.unsafe("drop index runs_workspace_submitted_id_idx");
        const rows = await tx.unsafe(`explain ${query}`, parameters as never[]);
        plan = rows.map((r) => String(r["QUERY PLAN"])).join("\n");
        throw new Error("roll back");
      })
      .catch(() => undefined);
    expect(plan).not.toBe("");
    expect(plan).not.toContain("runs_workspace_submitted_id_idx");
  });
});

it("the token list helper keeps tokens of its user only", async () => {
  await insertAccessToken(db as never, {
    userId,
    name: "t",
    prefix: "lst_x",
    tokenHash: randomUUID(),
    scopes: ["read"],
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  expect((await listAccessTokens(db as never, userId, { limit: 5 })).every((t) => t.userId === userId)).toBe(true);
});
