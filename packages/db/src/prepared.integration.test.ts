import { randomUUID } from "node:crypto";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  createUserWithPersonalWorkspace,
  findUserByTokenHash,
  getRunInWorkspace,
  insertAccessToken,
  insertRun,
  insertSecret,
  listRuns,
  listSecretMetadata,
  workspaceAccessFacts,
  type TDatabase,
} from "./index";
import * as schema from "./schema";

/**
 * The hot statements are built once and their rows mapped by a compiled mapper (queries/prepared.ts).
 * Inside a transaction the same functions take drizzle's own path (built afresh, drizzle's
 * mapResultRow), so each is run both ways over rows that exercise the mapping: nested objects,
 * left joins that find nothing (the object must be null), dates and JSON columns.
 */
const client = postgres(inject("databaseUrl"), { max: 2, onnotice: () => {} });
const db = drizzle(client, { schema, casing: "snake_case" }) as unknown as TDatabase;

afterAll(async () => {
  await client.end();
});

/** The same call through drizzle's own building and mapping (a transaction is never served prepared). */
const drizzleOwn = <T>(call: (db: TDatabase) => Promise<T>) => db.transaction((tx) => call(tx as unknown as TDatabase));

let userId = "";
let workspaceId = "";
let tokenHash = "";
beforeAll(async () => {
  const user = (await createUserWithPersonalWorkspace(db, {
    email: `prepared-${randomUUID()}@example.test`,
    name: "Preparer",
    passwordHash: null,
  }))!;
  userId = user.id;
  const [w] = await client<Array<{ id: string }>>`select id from workspaces where personal_owner_id = ${user.id}`;
  workspaceId = w!.id;
  const owner = { scope: "workspace" as const, workspaceId };
  const used = await insertSecret(db, owner, { name: "USED", sealed: "x", keyId: "k", actorId: userId });
  await insertSecret(db, owner, { name: "NEVER_USED", sealed: "x", keyId: "k", actorId: userId });
  const run = await insertRun(db, {
    workspaceId,
    launchedBy: userId,
    pipelineName: "with-launcher",
    repository: "https://example.test/p",
    computeEnvName: "ce",
    computeEnvKind: "local",
    params: { n: 1, s: "x" },
    deadlineAt: new Date(Date.now() + 3_600_000),
  });
  await insertRun(db, {
    workspaceId,
    launchedBy: null,
    pipelineName: "no-launcher",
    repository: "https://example.test/p",
    computeEnvName: "ce",
    computeEnvKind: "local",
    deadlineAt: new Date(Date.now() + 3_600_000),
  });
  await client`update secrets set last_used_by = ${userId}, last_used_run_id = ${run.id}, last_used_at = now() where id = ${used!.id}`;
  tokenHash = randomUUID();
  await insertAccessToken(db, {
    userId,
    name: "t",
    prefix: "lst_p",
    tokenHash,
    scopes: ["read"],
    expiresAt: new Date(Date.now() + 86_400_000),
  });
});

describe("prepared statements answer what drizzle's own path answers", () => {
  it("a secrets page: nested people, a last use and none", async () => {
    const owner = { scope: "workspace" as const, workspaceId };
    const page = { limit: 10, after: null, search: null };
    const fast = await listSecretMetadata(db, owner, page);
    expect(fast).toEqual(await drizzleOwn((d) => listSecretMetadata(d, owner, page)));
    const byName = new Map(fast.map((r) => [r.name, r]));
    // What makes the comparison worth something: both kinds of left join are in the page.
    expect(byName.get("USED")!.lastUsedBy).toMatchObject({ id: userId, name: "Preparer" });
    expect(byName.get("USED")!.lastUsedRun).toMatchObject({ workspaceId });
    expect(byName.get("NEVER_USED")!.lastUsedBy).toBeNull();
    expect(byName.get("NEVER_USED")!.lastUsedRun).toBeNull();
    expect(byName.get("NEVER_USED")!.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(byName.get("NEVER_USED")!.lastUsedAt).toBeNull();
    // A search and a cursor are other statements; they too answer the same.
    const next = { limit: 10, after: { key: "A", id: fast[0]!.id }, search: "used" };
    expect(await listSecretMetadata(db, owner, next)).toEqual(
      await drizzleOwn((d) => listSecretMetadata(d, owner, next)),
    );
  });

  it("a runs page: a launcher and none, JSON columns, a status filter", async () => {
    const fast = await listRuns(db, workspaceId, 10);
    expect(fast).toEqual(await drizzleOwn((d) => listRuns(d, workspaceId, 10)));
    const byName = new Map(fast.map((r) => [r.run.pipelineName, r]));
    expect(byName.get("with-launcher")!.launcher).toMatchObject({ id: userId });
    expect(byName.get("with-launcher")!.run.params).toEqual({ n: 1, s: "x" });
    expect(byName.get("no-launcher")!.launcher).toBeNull();
    const filtered = { status: ["SUBMITTED" as const, "RUNNING" as const], search: "launcher" };
    expect(await listRuns(db, workspaceId, 10, filtered)).toEqual(
      await drizzleOwn((d) => listRuns(d, workspaceId, 10, filtered)),
    );
  });

  it("the token lookup and the access check", async () => {
    const found = await findUserByTokenHash(db, tokenHash);
    expect(found?.user.id).toBe(userId);
    expect(found).toEqual(await drizzleOwn((d) => findUserByTokenHash(d, tokenHash)));
    const facts = await workspaceAccessFacts(db, userId, workspaceId);
    // A personal workspace: no organization and no org role (left joins that find nothing); its owner takes part.
    expect(facts).toMatchObject({ orgName: null, orgRole: null, participantRole: "owner" });
    expect(facts!.workspace.id).toBe(workspaceId);
    expect(facts).toEqual(await drizzleOwn((d) => workspaceAccessFacts(d, userId, workspaceId)));
  });
});

describe("list pages' dates are the text Date#toISOString() writes, made by Postgres (isoText)", () => {
  // Microseconds a Date cuts off (not rounded: .9999995 s stays in its second, day and year),
  // an offset other than UTC on the way in, the epoch, and a leap day.
  const edges = [
    "2026-12-31 23:59:59.999999+00",
    "2026-03-01 00:00:00.000001+00",
    "2026-03-01 12:00:00.9995+00",
    "2024-02-29 23:59:59.5+05:45",
    "1970-01-01 00:00:00+00",
    "2001-09-09 01:46:40.123456-07",
  ];

  it.each(["UTC", "Asia/Kathmandu", "America/St_Johns"])(
    "every edge value, the session in %s, as the Date drizzle builds writes it",
    async (zone) => {
      const run = await insertRun(db, {
        workspaceId,
        launchedBy: userId,
        pipelineName: `dates-${zone}`,
        repository: "https://example.test/p",
        computeEnvName: "ce",
        computeEnvKind: "local",
        deadlineAt: new Date(),
      });
      for (const at of edges) {
        await client`update runs set started_at = ${at}::timestamptz, deadline_at = ${at}::timestamptz where id = ${run.id}`;
        const asDate = (await getRunInWorkspace(db, workspaceId, run.id))!.run;
        const listed = await db.transaction(async (tx) => {
          await tx.execute(`set local time zone '${zone}'`);
          return (await listRuns(tx as unknown as TDatabase, workspaceId, 1, { search: `dates-${zone}` }))[0]!.run;
        });
        expect({ at, startedAt: listed.startedAt, deadlineAt: listed.deadlineAt }).toEqual({
          at,
          startedAt: asDate.startedAt!.toISOString(),
          deadlineAt: asDate.deadlineAt.toISOString(),
        });
        // NULL stays null (a run not yet provisioned); the prepared statement (the pool's zone) answers the same.
        expect(listed.provisionedAt).toBeNull();
        const prepared = (await listRuns(db, workspaceId, 1, { search: `dates-${zone}` }))[0]!.run;
        expect(prepared).toEqual(listed);
      }
    },
  );

  it("positive control: without `at time zone 'UTC'` the text follows the session's zone", async () => {
    const [row] = await db.transaction(async (tx) => {
      await tx.execute(`set local time zone 'Asia/Kathmandu'`);
      return tx.execute<{ text: string }>(
        `select to_char('2026-03-01 00:00:00+00'::timestamptz, 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as text`,
      );
    });
    expect(row!.text).toBe("2026-03-01T05:45:00.000Z");
    expect(new Date("2026-03-01 00:00:00+00").toISOString()).toBe("2026-03-01T00:00:00.000Z");
  });
});
