import { and, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import {
  isTerminalRunStatus,
  likePattern,
  TERMINAL_RUN_STATUSES,
  type TRunStatus,
  type TSecretsState,
} from "@lockstep/validators";
import type { TDatabase, TDbOrTx } from "../client";
import { runs, users } from "../schema";
import { isoText, keysetAfter, keysetKey, keysetOrder, nameContainsSlot, type TKeyset, type TPage } from "./paging";
import { prepared, slot } from "./prepared";

// The statuses are @lockstep/validators' (one list for every layer); these names are the queries'.
export const TERMINAL_STATUSES = TERMINAL_RUN_STATUSES;
export type { TRunStatus, TSecretsState };
export const isTerminal = isTerminalRunStatus;

export async function insertRun(db: TDbOrTx, values: typeof runs.$inferInsert) {
  const [row] = await db.insert(runs).values(values).returning();
  return row!;
}

export async function getRun(db: TDbOrTx, id: string) {
  const [row] = await db.select().from(runs).where(eq(runs.id, id));
  return row ?? null;
}

export async function getRunInWorkspace(db: TDbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select({ run: runs, launcher: { id: users.id, name: users.name, email: users.email } })
    .from(runs)
    .leftJoin(users, eq(users.id, runs.launchedBy))
    .where(and(eq(runs.workspaceId, workspaceId), eq(runs.id, id)));
  return row ?? null;
}

/** runs.list's one order: newest submitted first, id breaking ties; runs_workspace_submitted_id_idx serves it. */
export const runsKeyset: TKeyset = { key: runs.submittedAt, id: runs.id, kind: "timestamp", direction: "desc" };

/**
 * A workspace's runs, newest first, a page at a time. `cursor` is the previous page's last run as
 * (submitted_at text at microseconds, id); `after` (that run's id) does the same with a lookup. So
 * runs submitted within the same millisecond are neither skipped nor repeated at a page boundary.
 * `search`: part of the pipeline name; `status`: only runs in these states.
 */
/** What a runs page shows of each run (the API's runOut): not its bindings, copies, versions or head environment. */
const runListColumns = {
  id: runs.id,
  status: runs.status,
  secretsState: runs.secretsState,
  pipelineId: runs.pipelineId,
  pipelineName: runs.pipelineName,
  repository: runs.repository,
  revision: runs.revision,
  computeEnvId: runs.computeEnvId,
  computeEnvName: runs.computeEnvName,
  computeEnvKind: runs.computeEnvKind,
  executorRef: runs.executorRef,
  runDir: runs.runDir,
  params: runs.params,
  secretRefs: runs.secretRefs,
  launchedBy: runs.launchedBy,
  exitCode: runs.exitCode,
  errorMessage: runs.errorMessage,
  cancelRequested: runs.cancelRequested,
  progress: runs.progress,
  // Its dates as the API writes them (ISO text made by Postgres: no Date per date of each row).
  submittedAt: isoText(runs.submittedAt),
  provisionedAt: isoText(runs.provisionedAt),
  startedAt: isoText(runs.startedAt),
  finishedAt: isoText(runs.finishedAt),
  secretsDeletedAt: isoText(runs.secretsDeletedAt),
  deadlineAt: isoText(runs.deadlineAt),
  cleanupAttempts: runs.cleanupAttempts,
  lastCleanupError: runs.lastCleanupError,
  redaction: runs.redaction,
};
/** A run as runOut reads it: a whole row (dates as Dates) or a list page's (dates as ISO text). */
export type TRunListRow = { [K in keyof typeof runListColumns]: TDateOrIso<(typeof runs.$inferSelect)[K]> };
type TDateOrIso<T> = T extends Date ? Date | string : T;

export async function listRuns(
  db: TDbOrTx,
  workspaceId: string,
  limit: number,
  page: { after?: string; before?: Date; cursor?: TPage["after"]; search?: string | null; status?: TRunStatus[] } = {},
) {
  // A list page on every request: built once per shape (prepared.ts), the values bound at each call.
  const statuses = page.status ?? [];
  const shape = `runs-page:${page.after ? 1 : 0}${page.before ? 1 : 0}${page.cursor ? 1 : 0}${page.search ? 1 : 0}:${statuses.length}`;
  return prepared(db, shape, (db, name) =>
    db
      .select({
        run: runListColumns,
        launcher: { id: users.id, name: users.name, email: users.email },
        cursorKey: keysetKey(runsKeyset),
      })
      .from(runs)
      .leftJoin(users, eq(users.id, runs.launchedBy))
      .where(
        and(
          eq(runs.workspaceId, slot("workspaceId")),
          page.after
            ? sql`(${runs.submittedAt}, ${runs.id}) < (select c.submitted_at, c.id from runs c where c.id = ${slot("after")} and c.workspace_id = ${slot("workspaceId")})`
            : undefined,
          keysetAfter(runsKeyset, page.cursor ? { key: slot("cursorKey"), id: slot("cursorId") } : null),
          page.before ? lt(runs.submittedAt, slot("before")) : undefined,
          page.search ? nameContainsSlot(runs.pipelineName, slot("search")) : undefined,
          statuses.length
            ? inArray(
                runs.status,
                statuses.map((_, i) => slot(`status${i}`)),
              )
            : undefined,
        ),
      )
      .orderBy(...keysetOrder(runsKeyset))
      .limit(slot("limit"))
      .prepare(name),
  ).execute({
    workspaceId,
    after: page.after,
    cursorKey: page.cursor?.key,
    cursorId: page.cursor?.id,
    before: page.before?.toISOString(),
    search: page.search ? likePattern(page.search) : undefined,
    ...Object.fromEntries(statuses.map((s, i) => [`status${i}`, s])),
    limit,
  });
}

/** Applies a change only while the run is still in one of `from` (a guard against races). */
export async function updateRunIf(
  db: TDbOrTx,
  id: string,
  from: { status?: TRunStatus[]; secretsState?: TSecretsState[] },
  set: Partial<typeof runs.$inferInsert>,
) {
  const rows = await db
    .update(runs)
    .set(set)
    .where(
      and(
        eq(runs.id, id),
        from.status ? inArray(runs.status, from.status) : undefined,
        from.secretsState ? inArray(runs.secretsState, from.secretsState) : undefined,
      ),
    )
    .returning();
  return rows[0] ?? null;
}

export async function bumpCleanupAttempts(db: TDbOrTx, id: string, error: string | null) {
  await db
    .update(runs)
    .set({ cleanupAttempts: sql`${runs.cleanupAttempts} + 1`, lastCleanupError: error })
    .where(eq(runs.id, id));
}

/**
 * The partial indexes' predicates, written as literals (a bound parameter cannot prove a partial
 * index's predicate in a generic plan): every timer query below says one of them.
 */
const LIVE = sql.raw(`"runs"."status" in ('SUBMITTED', 'RUNNING')`);
const UNSETTLED = sql.raw(`"runs"."secrets_state" in ('PENDING', 'PROVISIONED', 'DELETING', 'CLEANUP_FAILED')`);
const HOLDING = sql.raw(
  `("runs"."status" in ('SUBMITTED', 'RUNNING') or "runs"."secrets_state" in ('PENDING', 'PROVISIONED', 'DELETING'))`,
);

/**
 * Work implied by database state, for the sweeper (Redis may have lost it). Every part is served by
 * a partial index of the few runs not settled yet (runs_live_deadline_idx for SUBMITTED and RUNNING,
 * runs_unsettled_secrets_idx), however many finished runs the table holds.
 */
export async function runsNeedingWork(db: TDbOrTx) {
  const terminal = [...TERMINAL_STATUSES];
  const [toProvision, toLaunch, toMonitor, toCleanup, overdue] = await Promise.all([
    db
      .select({ id: runs.id })
      .from(runs)
      .where(
        and(
          LIVE,
          eq(runs.status, "SUBMITTED"),
          inArray(runs.secretsState, ["PENDING", "NONE"]),
          eq(runs.cancelRequested, false),
          sql`${runs.provisionedAt} is null`,
        ),
      ),
    db
      .select({ id: runs.id })
      .from(runs)
      .where(
        and(
          LIVE,
          eq(runs.status, "SUBMITTED"),
          sql`${runs.provisionedAt} is not null`,
          eq(runs.cancelRequested, false),
        ),
      ),
    db
      .select({ id: runs.id })
      .from(runs)
      .where(and(LIVE, eq(runs.status, "RUNNING"))),
    db
      .select({ id: runs.id })
      .from(runs)
      .where(
        and(
          UNSETTLED,
          inArray(runs.status, terminal),
          inArray(runs.secretsState, ["PENDING", "PROVISIONED", "DELETING"]),
        ),
      ),
    // Unfinished is SUBMITTED or RUNNING; said so, the partial index runs_live_deadline_idx serves it.
    db
      .select({ id: runs.id })
      .from(runs)
      .where(and(LIVE, lt(runs.deadlineAt, new Date()))),
  ]);
  return {
    toProvision: toProvision.map((r) => r.id),
    toLaunch: toLaunch.map((r) => r.id),
    toMonitor: toMonitor.map((r) => r.id),
    toCleanup: toCleanup.map((r) => r.id),
    overdue: overdue.map((r) => r.id),
  };
}

/** For the worker's gauges (every scrape): runs by status among the unsettled ones, and runs whose secrets could not be deleted. */
export async function runGauges(db: TDbOrTx) {
  const [live, unsettled] = await Promise.all([
    db
      .select({ status: runs.status, count: sql<number>`count(*)::int` })
      .from(runs)
      .where(LIVE)
      .groupBy(runs.status),
    db
      .select({ secretsState: runs.secretsState, count: sql<number>`count(*)::int` })
      .from(runs)
      .where(UNSETTLED)
      .groupBy(runs.secretsState),
  ]);
  return {
    live: Object.fromEntries(live.map((r) => [r.status, r.count])) as Partial<Record<TRunStatus, number>>,
    secrets: Object.fromEntries(unsettled.map((r) => [r.secretsState, r.count])) as Partial<
      Record<TSecretsState, number>
    >,
  };
}

export async function runStatuses(db: TDbOrTx, ids: string[]) {
  if (ids.length === 0) return new Map<string, TRunStatus>();
  const rows = await db.select({ id: runs.id, status: runs.status }).from(runs).where(inArray(runs.id, ids));
  return new Map(rows.map((r) => [r.id, r.status]));
}

/**
 * Runs of a compute environment that still need it: running, or holding secrets not yet deleted.
 * (CLEANUP_FAILED runs do not count: they are already alerted and need a person, not the env.)
 */
export async function runsHoldingComputeEnv(db: TDbOrTx, computeEnvId: string) {
  const rows = await db
    .select({ id: runs.id })
    .from(runs)
    .where(
      and(
        eq(runs.computeEnvId, computeEnvId),
        // Not terminal is SUBMITTED or RUNNING; said so, the partial index runs_holding_env_idx serves it.
        HOLDING,
      ),
    );
  return rows.map((r) => r.id);
}

/**
 * Gives a run its sandbox uid offset (0…65535 from a cycling sequence), unique among unfinished
 * runs: a value still held by a live run is skipped. Idempotent: a run that has one keeps it.
 */
export async function allocateRunUid(db: TDatabase, runId: string): Promise<number> {
  for (let attempt = 0; attempt < 64; attempt++) {
    const [current] = await db.select({ runUid: runs.runUid }).from(runs).where(eq(runs.id, runId));
    if (!current) throw new Error(`run ${runId} does not exist`);
    if (current.runUid !== null) return current.runUid;
    const [{ n }] = (await db.execute<{ n: string }>(sql`select nextval('run_uid_seq') as n`)) as unknown as [
      { n: string },
    ];
    try {
      const [row] = await db
        .update(runs)
        .set({ runUid: Number(n) })
        .where(and(eq(runs.id, runId), isNull(runs.runUid)))
        .returning({ runUid: runs.runUid });
      if (row?.runUid != null) return row.runUid;
    } catch (error) {
      const e = error as { code?: string; cause?: { code?: string } };
      if (e.code !== "23505" && e.cause?.code !== "23505") throw error;
    }
  }
  throw new Error("no free sandbox uid: 65,536 runs are unfinished");
}
