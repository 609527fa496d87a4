import { randomUUID } from "node:crypto";
import postgres from "postgres";
import { TRPCError } from "@trpc/server";
import { afterAll, describe, expect, inject, it } from "vitest";
import { createDatabase, createRunEventHub, insertRun, sql, updateRunIf } from "@lockstep/db";
import { createCaller } from "./root";
import { callerFor, contextFor, makeUser } from "./test/fixtures";

/**
 * Run state reaches open pages by push (runs.onChange over SSE): Postgres announces every run
 * change (migration 0017's trigger), one LISTEN per process fans it out by workspace. A subscriber
 * gets its own workspace's runs only — never another tenant's — with ids and states, no values.
 */
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const listener = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
const hub = createRunEventHub(listener);
afterAll(async () => {
  await hub.close();
  await listener.end();
  await close();
});

const codeOf = (p: Promise<unknown>) =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? e.code : String(e)),
  );

async function orgWorkspace(label: string) {
  const owner = await makeUser(db, label);
  const caller = callerFor(db, owner.id, { runEvents: hub });
  const org = await caller.orgs.create({ name: label, slug: `${label}-${owner.id.slice(0, 8)}` });
  const ws = await caller.workspaces.create({ orgId: org.id, name: "Runs" });
  return { owner, caller, ws };
}

const newRun = (workspaceId: string, pipelineName: string) =>
  insertRun(db, {
    workspaceId,
    pipelineName,
    repository: "https://example.test/p",
    computeEnvName: "ce",
    computeEnvKind: "local",
    deadlineAt: new Date(Date.now() + 3_600_000),
  });

/** Collects events until `count` arrived or `ms` passed, then stops the stream. */
async function collect(stream: AsyncIterable<unknown>, count: number, ms: number) {
  const got: unknown[] = [];
  const iterator = stream[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  while (got.length < count && Date.now() < deadline) {
    const next = await Promise.race([
      iterator.next(),
      new Promise<"timeout">((r) => setTimeout(() => r("timeout"), Math.max(1, deadline - Date.now()))),
    ]);
    if (next === "timeout" || next.done) break;
    got.push(next.value);
  }
  await iterator.return?.();
  return got;
}

describe("runs.onChange", () => {
  it("pushes the subscriber's own runs (positive control) and never another workspace's", async () => {
    const a = await orgWorkspace("alpha");
    const b = await orgWorkspace("bravo");
    const stream = await a.caller.runs.onChange({ workspaceId: a.ws.id });
    const events = collect(stream, 3, 3_000);
    // Let the generator subscribe before anything changes.
    await new Promise((r) => setTimeout(r, 200));
    const foreign = await newRun(b.ws.id, "theirs");
    await updateRunIf(db, foreign.id, {}, { status: "RUNNING" });
    const own = await newRun(a.ws.id, "mine");
    await updateRunIf(db, own.id, {}, { status: "RUNNING", progress: { tasks: 2 } });
    await updateRunIf(db, own.id, {}, { status: "SUCCEEDED", secretsState: "NONE" });
    const got = (await events) as Array<Record<string, unknown>>;
    expect(got.length).toBeGreaterThan(0);
    expect(got.every((e) => e.id === own.id)).toBe(true);
    expect(got.map((e) => e.id)).not.toContain(foreign.id);
    expect(got.at(-1)).toEqual({ id: own.id, status: "SUCCEEDED", secretsState: "NONE" });
    // Ids and states only: no params, errors, names or values.
    for (const e of got) expect(Object.keys(e).sort()).toEqual(["id", "secretsState", "status"]);

    // The other tenant's subscriber does see its own run (the event was announced, only routed away from A).
    const bStream = await b.caller.runs.onChange({ workspaceId: b.ws.id });
    const bEvents = collect(bStream, 1, 3_000);
    await new Promise((r) => setTimeout(r, 200));
    await updateRunIf(db, foreign.id, {}, { status: "FAILED" });
    expect(await bEvents).toEqual([{ id: foreign.id, status: "FAILED", secretsState: "NONE" }]);
  });

  it("refuses to open a stream on a workspace the caller cannot see (NOT_FOUND, no probing)", async () => {
    const a = await orgWorkspace("charlie");
    const b = await orgWorkspace("delta");
    expect(await codeOf(a.caller.runs.onChange({ workspaceId: b.ws.id }))).toBe("NOT_FOUND");
    expect(await codeOf(a.caller.runs.onChange({ workspaceId: a.ws.id }))).toBe("ok");
  });

  it("with runId, only that run", async () => {
    const a = await orgWorkspace("echo");
    const one = await newRun(a.ws.id, "one");
    const two = await newRun(a.ws.id, "two");
    const stream = await a.caller.runs.onChange({ workspaceId: a.ws.id, runId: two.id });
    const events = collect(stream, 1, 3_000);
    await new Promise((r) => setTimeout(r, 200));
    await updateRunIf(db, one.id, {}, { status: "RUNNING" });
    await updateRunIf(db, two.id, {}, { status: "CANCELLED" });
    expect(await events).toEqual([{ id: two.id, status: "CANCELLED", secretsState: "NONE" }]);
  });

  it("a change that is not a state or progress change announces nothing; closing the stream (the browser leaves) ends it", async () => {
    const a = await orgWorkspace("foxtrot");
    const run = await newRun(a.ws.id, "quiet");
    // As the HTTP adapter does when the browser goes away: the request's signal aborts.
    const abort = new AbortController();
    const stream = await createCaller(contextFor(db, a.owner.id, { runEvents: hub }), {
      signal: abort.signal,
    }).runs.onChange({ workspaceId: a.ws.id });
    const iterator = stream[Symbol.asyncIterator]();
    const next = iterator.next();
    await new Promise((r) => setTimeout(r, 200));
    await db.execute(sql`update runs set executor_ref = ${randomUUID()} where id = ${run.id}`);
    const quiet = await Promise.race([next.then(() => "event"), new Promise((r) => setTimeout(() => r("quiet"), 800))]);
    expect(quiet).toBe("quiet");
    abort.abort();
    expect(await next).toMatchObject({ done: true });
  });
});
