import { z } from "zod";
import { findCredential, getComputeEnv, listComputeEnvs, requestComputeEnvCheck, runsHoldingComputeEnv, schema, and, eq, type TComputeEnv, type TDatabase } from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { MAX_ENV_VARS, ZComputeEnvInput, ZEnvName, ZId } from "@lockstep/validators";
import { AppError, isUniqueViolation } from "../../errors";
import { updateComputeEnv } from "../../services/compute-envs";
import { router, workspaceProcedure } from "../../trpc";
import { ZComputeEnvOut } from "../shapes";

const { computeEnvs } = schema;

export function computeEnvOut(ce: TComputeEnv): z.infer<typeof ZComputeEnvOut> {
  return {
    id: ce.id,
    name: ce.name,
    kind: ce.kind,
    workDir: ce.workDir,
    nextflowVersion: ce.nextflowVersion,
    envNames: Object.keys(ce.env).sort(),
    maxRunSeconds: ce.maxRunSeconds,
    config: ce.config,
    check:
      ce.kind === "aws-batch" || ce.kind === "google-batch"
        ? { requestedAt: ce.checkRequestedAt, at: ce.checkedAt, ok: ce.checkOk, message: ce.checkMessage }
        : null,
    createdAt: ce.createdAt,
    updatedAt: ce.updatedAt,
  };
}

/** A cloud environment's credentials must be this workspace's, for the same cloud. */
async function checkCredential(db: TDatabase, workspaceId: string, input: z.infer<typeof ZComputeEnvInput>) {
  if (input.kind !== "aws-batch" && input.kind !== "google-batch") return;
  const credential = await findCredential(db, workspaceId, input.config.credentialId);
  const wanted = input.kind === "aws-batch" ? "aws" : "google";
  if (!credential || credential.provider !== wanted) {
    throw new AppError("INVALID", `computeEnv.config.credentialId: choose ${wanted === "aws" ? "AWS" : "Google"} credentials of this workspace.`);
  }
}

export const computeEnvsRouter = router({
  list: workspaceProcedure("workspace:view")
    .output(z.array(ZComputeEnvOut))
    .query(async ({ ctx }) => (await listComputeEnvs(ctx.db, ctx.workspace.id)).map(computeEnvOut)),

  get: workspaceProcedure("workspace:view")
    .input(z.object({ computeEnvId: ZId }))
    .output(ZComputeEnvOut)
    .query(async ({ ctx, input }) => {
      const ce = await getComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId);
      if (!ce) throw new AppError("NOT_FOUND", "No such compute environment.");
      return computeEnvOut(ce);
    }),

  create: workspaceProcedure("compute-envs:manage")
    .input(z.object({ computeEnv: ZComputeEnvInput }))
    .output(ZComputeEnvOut)
    .mutation(async ({ ctx, input }) => {
      await checkCredential(ctx.db, ctx.workspace.id, input.computeEnv);
      try {
        const [row] = await ctx.db
          .insert(computeEnvs)
          .values({ ...input.computeEnv, workspaceId: ctx.workspace.id, createdBy: ctx.user.id })
          .returning();
        return computeEnvOut(row!);
      } catch (error) {
        if (isUniqueViolation(error)) throw new AppError("CONFLICT", `A compute environment named "${input.computeEnv.name}" already exists here.`);
        throw error;
      }
    }),

  update: workspaceProcedure("compute-envs:manage")
    .input(
      z.object({
        computeEnvId: ZId,
        computeEnv: ZComputeEnvInput,
        /** Stored variables to keep as they are: their values are never sent back, so an edit cannot repeat them. */
        keepEnv: z.array(ZEnvName).max(MAX_ENV_VARS).default([]),
      }),
    )
    .output(ZComputeEnvOut)
    .mutation(async ({ ctx, input }) => {
      await checkCredential(ctx.db, ctx.workspace.id, input.computeEnv);
      return computeEnvOut(await updateComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId, input.computeEnv, input.keepEnv));
    }),

  /** Asks the worker (the only holder of the credential keys) to check a cloud environment; the list shows the answer. */
  check: workspaceProcedure("compute-envs:manage")
    .input(z.object({ computeEnvId: ZId }))
    .output(ZComputeEnvOut)
    .mutation(async ({ ctx, input }) => {
      const ce = await getComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId);
      if (!ce) throw new AppError("NOT_FOUND", "No such compute environment.");
      if (ce.kind !== "aws-batch" && ce.kind !== "google-batch") {
        throw new AppError("INVALID", "computeEnvId: only AWS Batch and Google Batch environments are checked");
      }
      const requestedAt = new Date();
      const row = await requestComputeEnvCheck(ctx.db, ctx.workspace.id, ce.id, requestedAt);
      if (!row) throw new AppError("NOT_FOUND", "No such compute environment.");
      await enqueue(ctx.queues, "computeEnvs.check", { computeEnvId: ce.id, requestedAt: requestedAt.toISOString() });
      return computeEnvOut(row);
    }),

  delete: workspaceProcedure("compute-envs:manage")
    .input(z.object({ computeEnvId: ZId }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await getComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId))) throw new AppError("NOT_FOUND", "No such compute environment.");
      // Cleanup needs the environment to find a run's secrets: deleting it under a live run would strand them.
      const holding = await runsHoldingComputeEnv(ctx.db, input.computeEnvId);
      if (holding.length > 0) {
        throw new AppError(
          "CONFLICT",
          `computeEnvId: ${holding.length === 1 ? "1 run uses" : `${holding.length} runs use`} this compute environment (running, or its secrets not yet deleted); cancel or wait for ${holding.length === 1 ? "it" : "them"} first.`,
        );
      }
      const rows = await ctx.db
        .delete(computeEnvs)
        .where(and(eq(computeEnvs.workspaceId, ctx.workspace.id), eq(computeEnvs.id, input.computeEnvId)))
        .returning({ id: computeEnvs.id });
      if (rows.length === 0) throw new AppError("NOT_FOUND", "No such compute environment.");
      return { ok: true as const };
    }),
});
