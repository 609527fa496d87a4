import { z } from "zod";
import {
  deletePipeline,
  getComputeEnv,
  getPipeline,
  insertPipeline,
  listPipelines,
  updatePipelineRow,
  type TDbOrTx,
  type TPipeline,
} from "@lockstep/db";
import { describeNeeds, ZId, ZPipelineInput } from "@lockstep/validators";
import { AppError, isUniqueViolation } from "../../errors";
import {
  assertPipelineSource,
  nextflowCheckOf,
  requestNextflowCheck,
  scanSecretNeeds,
  withNextflow,
} from "../../services/pipelines";
import { cursored, pageOf, pageOutput, withCursor, ZPageInput } from "../../paging";
import { router, workspaceProcedure } from "../../trpc";
import { ZPipelineOut } from "../shapes";

const out = (p: Omit<TPipeline, "cursorKey">): z.input<typeof ZPipelineOut> => ({
  id: p.id,
  name: p.name,
  repository: p.repository,
  revision: p.revision,
  defaultParams: p.defaultParams,
  defaultComputeEnvId: p.defaultComputeEnvId,
  optionalSecrets: p.optionalSecrets,
  secretNeeds: p.secretNeeds ? withNextflow(p.secretNeeds, p.nextflowSecrets) : null,
  secretNeedsText: p.secretNeeds
    ? describeNeeds(withNextflow(p.secretNeeds, p.nextflowSecrets))
    : "secrets needed: not scanned yet (save or launch the pipeline to scan it)",
  nextflowCheck: nextflowCheckOf(p.secretNeeds, p.nextflowSecrets),
  createdAt: p.createdAt,
  updatedAt: p.updatedAt,
});

async function checkComputeEnv(db: TDbOrTx, workspaceId: string, id: string | null) {
  if (id && !(await getComputeEnv(db, workspaceId, id)))
    throw new AppError("INVALID", "defaultComputeEnvId: no such compute environment in this workspace.");
}

export const pipelinesRouter = router({
  /** By name, one page (search: part of the name). */
  list: workspaceProcedure("workspace:view")
    .input(ZPageInput)
    .output(pageOutput(withCursor(ZPipelineOut)))
    .query(async ({ ctx, input }) =>
      cursored(await listPipelines(ctx.db, ctx.workspace.id, pageOf(input, "name")), "name", (p) => p.id).map((p) => ({
        ...out(p),
        cursor: p.cursor,
      })),
    ),

  get: workspaceProcedure("workspace:view")
    .input(z.object({ pipelineId: ZId }))
    .output(ZPipelineOut)
    .query(async ({ ctx, input }) => {
      const p = await getPipeline(ctx.db, ctx.workspace.id, input.pipelineId);
      if (!p) throw new AppError("NOT_FOUND", "No such pipeline.");
      return out(p);
    }),

  create: workspaceProcedure("pipelines:manage")
    .input(z.object({ pipeline: ZPipelineInput }))
    .output(ZPipelineOut)
    .mutation(async ({ ctx, input }) => {
      await assertPipelineSource(input.pipeline.repository, ctx.config.localPipelineRoots, "pipeline.repository");
      await checkComputeEnv(ctx.db, ctx.workspace.id, input.pipeline.defaultComputeEnvId);
      try {
        const secretNeeds = await scanSecretNeeds(input.pipeline.repository, ctx.config.localPipelineRoots);
        const row = await insertPipeline(ctx.db, {
          ...input.pipeline,
          secretNeeds,
          workspaceId: ctx.workspace.id,
          createdBy: ctx.user.id,
        });
        await requestNextflowCheck(ctx.queues, row.id, secretNeeds, null);
        return out(row);
      } catch (error) {
        if (isUniqueViolation(error))
          throw new AppError("CONFLICT", `A pipeline named "${input.pipeline.name}" already exists here.`);
        throw error;
      }
    }),

  update: workspaceProcedure("pipelines:manage")
    .input(z.object({ pipelineId: ZId, pipeline: ZPipelineInput }))
    .output(ZPipelineOut)
    .mutation(async ({ ctx, input }) => {
      await assertPipelineSource(input.pipeline.repository, ctx.config.localPipelineRoots, "pipeline.repository");
      await checkComputeEnv(ctx.db, ctx.workspace.id, input.pipeline.defaultComputeEnvId);
      const secretNeeds = await scanSecretNeeds(input.pipeline.repository, ctx.config.localPipelineRoots);
      const row = await updatePipelineRow(ctx.db, ctx.workspace.id, input.pipelineId, {
        ...input.pipeline,
        revision: input.pipeline.revision ?? null,
        secretNeeds,
      }).catch((error: unknown) => {
        if (isUniqueViolation(error))
          throw new AppError("CONFLICT", `A pipeline named "${input.pipeline.name}" already exists here.`);
        throw error;
      });
      if (!row) throw new AppError("NOT_FOUND", "No such pipeline.");
      await requestNextflowCheck(ctx.queues, row.id, secretNeeds, row.nextflowSecrets);
      return out(row);
    }),

  delete: workspaceProcedure("pipelines:manage")
    .input(z.object({ pipelineId: ZId }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await deletePipeline(ctx.db, ctx.workspace.id, input.pipelineId)))
        throw new AppError("NOT_FOUND", "No such pipeline.");
      return { ok: true as const };
    }),
});
