import { and, eq } from "drizzle-orm";
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
