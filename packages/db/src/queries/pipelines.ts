import { and, eq, sql } from "drizzle-orm";
import type { TDbOrTx } from "../client";
import { pipelines } from "../schema";
import { keysetAfter, keysetKey, keysetOrder, nameContains, type TKeyset, type TPage } from "./paging";

const pipelineKeyset: TKeyset = { key: pipelines.name, id: pipelines.id, kind: "text", direction: "asc" };

/** By name (pipelines_workspace_name_key); with `page`, one page after the previous one's last row. */
export async function listPipelines(db: TDbOrTx, workspaceId: string, page?: TPage) {
  const query = db
    .select({ p: pipelines, cursorKey: keysetKey(pipelineKeyset) })
    .from(pipelines)
    .where(
      and(
        eq(pipelines.workspaceId, workspaceId),
        keysetAfter(pipelineKeyset, page?.after),
        nameContains(pipelines.name, page?.search),
      ),
    )
    .orderBy(...keysetOrder(pipelineKeyset));
  const rows = await (page ? query.limit(page.limit) : query);
  return rows.map((r) => ({ ...r.p, cursorKey: r.cursorKey }));
}

export async function getPipeline(db: TDbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(pipelines)
    .where(and(eq(pipelines.workspaceId, workspaceId), eq(pipelines.id, id)));
  return row ?? null;
}

export async function insertPipeline(db: TDbOrTx, values: typeof pipelines.$inferInsert) {
  const [row] = await db.insert(pipelines).values(values).returning();
  return row!;
}

export async function updatePipelineRow(
  db: TDbOrTx,
  workspaceId: string,
  id: string,
  set: Partial<typeof pipelines.$inferInsert>,
) {
  const [row] = await db
    .update(pipelines)
    .set(set)
    .where(and(eq(pipelines.workspaceId, workspaceId), eq(pipelines.id, id)))
    .returning();
  return row ?? null;
}

/** Whether a row was deleted. */
export async function deletePipeline(db: TDbOrTx, workspaceId: string, id: string): Promise<boolean> {
  const rows = await db
    .delete(pipelines)
    .where(and(eq(pipelines.workspaceId, workspaceId), eq(pipelines.id, id)))
    .returning({ id: pipelines.id });
  return rows.length > 0;
}

/** What a scan of the pipeline's sources found (at save or launch). */
export async function setPipelineSecretNeeds(
  db: TDbOrTx,
  id: string,
  secretNeeds: (typeof pipelines.$inferInsert)["secretNeeds"],
) {
  await db.update(pipelines).set({ secretNeeds }).where(eq(pipelines.id, id));
}

/** For the worker's Nextflow check: what it needs of a pipeline, by id (null when deleted). */
export async function pipelineForInspection(db: TDbOrTx, id: string) {
  const [row] = await db
    .select({
      repository: pipelines.repository,
      secretNeeds: pipelines.secretNeeds,
      nextflowSecrets: pipelines.nextflowSecrets,
    })
    .from(pipelines)
    .where(eq(pipelines.id, id));
  return row ?? null;
}

/**
 * Stores what the pinned Nextflow said, only onto the sources it was asked for (`fingerprint`): a
 * save meanwhile has asked again.
 */
export async function recordPipelineNextflowSecrets(
  db: TDbOrTx,
  id: string,
  fingerprint: string,
  nextflowSecrets: NonNullable<(typeof pipelines.$inferInsert)["nextflowSecrets"]>,
) {
  await db
    .update(pipelines)
    .set({ nextflowSecrets })
    .where(and(eq(pipelines.id, id), sql`${pipelines.secretNeeds}->>'fingerprint' = ${fingerprint}`));
}
