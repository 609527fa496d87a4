import { and, eq, sql } from "drizzle-orm";
import type { TDbOrTx } from "../client";
import { runLogLines } from "../schema";

// ── Run logs (already masked by the worker) ─────────────────────────────────────────────────

/** Appends lines after the run's last one (in batches: Postgres caps a statement's parameters); returns the new last seq. */
export async function appendRunLog(db: TDbOrTx, runId: string, lines: string[]): Promise<number> {
  return db.transaction(async (tx) => {
    const start = (await lastRunLogSeq(tx, runId)) + 1;
    for (let i = 0; i < lines.length; i += 1000) {
      await tx
        .insert(runLogLines)
        .values(lines.slice(i, i + 1000).map((line, j) => ({ runId, seq: start + i + j, line })));
    }
    return start + lines.length - 1;
  });
}

/** Seq of the run's last stored log line (0 when none): how many lines it has. */
export async function lastRunLogSeq(db: TDbOrTx, runId: string): Promise<number> {
  const [last] = await db
    .select({ seq: sql<number>`coalesce(max(${runLogLines.seq}), 0)::int` })
    .from(runLogLines)
    .where(eq(runLogLines.runId, runId));
  return last?.seq ?? 0;
}

export async function readRunLog(db: TDbOrTx, runId: string, afterSeq: number, limit: number) {
  return db
    .select({ seq: runLogLines.seq, line: runLogLines.line, at: runLogLines.at })
    .from(runLogLines)
    .where(and(eq(runLogLines.runId, runId), sql`${runLogLines.seq} > ${afterSeq}`))
    .orderBy(runLogLines.seq)
    .limit(limit);
}
