import { and, eq, isNull, lte, or, sql } from "drizzle-orm";
import type { TDbOrTx, TTx } from "../client";
import { computeEnvs } from "../schema";
import { keysetAfter, keysetKey, keysetOrder, nameContains, type TKeyset, type TPage } from "./paging";

const computeEnvKeyset: TKeyset = { key: computeEnvs.name, id: computeEnvs.id, kind: "text", direction: "asc" };

/** By name (compute_envs_workspace_name_key); with `page`, one page after the previous one's last row. */
export async function listComputeEnvs(db: TDbOrTx, workspaceId: string, page?: TPage) {
  const query = db
    .select({ ce: computeEnvs, cursorKey: keysetKey(computeEnvKeyset) })
    .from(computeEnvs)
    .where(
      and(
        eq(computeEnvs.workspaceId, workspaceId),
        keysetAfter(computeEnvKeyset, page?.after),
        nameContains(computeEnvs.name, page?.search),
      ),
    )
    .orderBy(...keysetOrder(computeEnvKeyset));
  const rows = await (page ? query.limit(page.limit) : query);
  return rows.map((r) => ({ ...r.ce, cursorKey: r.cursorKey }));
}

export async function getComputeEnv(db: TDbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(computeEnvs)
    .where(and(eq(computeEnvs.workspaceId, workspaceId), eq(computeEnvs.id, id)));
  return row ?? null;
}

/** Marks a "Check connection" as asked for. A check is not an edit: updatedAt stays as it was. */
export async function requestComputeEnvCheck(db: TDbOrTx, workspaceId: string, id: string, at: Date) {
  const [row] = await db
    .update(computeEnvs)
    .set({ checkRequestedAt: at, updatedAt: sql`${computeEnvs.updatedAt}` })
    .where(and(eq(computeEnvs.workspaceId, workspaceId), eq(computeEnvs.id, id)))
    .returning();
  return row ?? null;
}

/**
 * The worker's answer to the check asked for at `requestedAt`; the message is the provider's error
 * on failure (never a secret value). A check superseded by a newer request records nothing (null),
 * so an old answer cannot end the wait for the new one.
 */
export async function recordComputeEnvCheck(
  db: TDbOrTx,
  id: string,
  requestedAt: Date,
  result: { ok: boolean; message: string; at: Date; hostKey?: string | null },
) {
  const [row] = await db
    .update(computeEnvs)
    .set({
      checkedAt: result.at,
      checkOk: result.ok,
      checkMessage: result.message,
      checkHostKey: result.hostKey ?? null,
      updatedAt: sql`${computeEnvs.updatedAt}`,
    })
    .where(
      and(
        eq(computeEnvs.id, id),
        or(isNull(computeEnvs.checkRequestedAt), lte(computeEnvs.checkRequestedAt, requestedAt)),
      ),
    )
    .returning();
  return row ?? null;
}

/**
 * What the worker saw of an environment while using it for a run (SSH clusters: the login node
 * unreachable, or reached again), shown where a check's answer is. Not an edit: updatedAt stays.
 */
export async function noteComputeEnvReachability(
  db: TDbOrTx,
  id: string,
  result: { ok: boolean; message: string; at: Date },
) {
  await db
    .update(computeEnvs)
    .set({
      checkedAt: result.at,
      checkOk: result.ok,
      checkMessage: result.message,
      updatedAt: sql`${computeEnvs.updatedAt}`,
    })
    .where(eq(computeEnvs.id, id));
}

/** Every compute environment, for the sweeper to list the copies each one's store holds. */
export async function computeEnvsForSweep(db: TDbOrTx) {
  return db.select().from(computeEnvs).orderBy(computeEnvs.createdAt);
}

export async function getComputeEnvById(db: TDbOrTx, id: string) {
  const [row] = await db.select().from(computeEnvs).where(eq(computeEnvs.id, id));
  return row ?? null;
}

// ── Writes of the API (its services and router decide who may make them) ─────────────────────

export async function insertComputeEnv(db: TDbOrTx, values: typeof computeEnvs.$inferInsert) {
  const [row] = await db.insert(computeEnvs).values(values).returning();
  return row!;
}

/** The environment locked for an edit (null when absent or another workspace's). */
export async function lockComputeEnv(tx: TTx, workspaceId: string, id: string) {
  const [row] = await tx
    .select()
    .from(computeEnvs)
    .where(and(eq(computeEnvs.workspaceId, workspaceId), eq(computeEnvs.id, id)))
    .for("update");
  return row ?? null;
}

export async function updateComputeEnvRow(
  db: TDbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<typeof computeEnvs.$inferInsert>,
) {
  const [row] = await db
    .update(computeEnvs)
    .set(set)
    .where(and(eq(computeEnvs.workspaceId, workspaceId), eq(computeEnvs.id, id)))
    .returning();
  return row ?? null;
}

/**
 * Stores `config` (holding the confirmed host key) only while the check's answer is still
 * `fingerprint`; the check's answer is cleared, `message` says what comes next. Null when the
 * environment changed meanwhile.
 */
export async function confirmComputeEnvHostKey(
  db: TDbOrTx,
  workspaceId: string,
  id: string,
  confirm: { fingerprint: string; config: (typeof computeEnvs.$inferSelect)["config"]; message: string },
) {
  const [row] = await db
    .update(computeEnvs)
    .set({
      config: confirm.config,
      checkHostKey: null,
      checkOk: null,
      checkMessage: confirm.message,
      updatedAt: new Date(),
    })
    .where(
      and(
        eq(computeEnvs.workspaceId, workspaceId),
        eq(computeEnvs.id, id),
        eq(computeEnvs.checkHostKey, confirm.fingerprint),
      ),
    )
    .returning();
  return row ?? null;
}

/** Whether a row was deleted. */
export async function deleteComputeEnv(db: TDbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(computeEnvs)
    .where(and(eq(computeEnvs.workspaceId, workspaceId), eq(computeEnvs.id, id)))
    .returning({ id: computeEnvs.id });
  return rows.length > 0;
}
