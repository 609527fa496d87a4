import { z } from "zod";
import {
  confirmComputeEnvHostKey,
  deleteComputeEnv,
  getComputeEnv,
  listComputeEnvs,
  recordAudit,
  requestComputeEnvCheck,
  runsHoldingComputeEnv,
  type TComputeEnv,
} from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import {
  isSshComputeKind,
  kindConfigOf,
  MAX_ENV_VARS,
  parseComputeEnv,
  sshSettingsOf,
  ZComputeEnvInput,
  ZEnvName,
  ZHostKeySha256,
  ZId,
} from "@lockstep/validators";
import { actorOf } from "../../actor";
import { AppError } from "../../errors";
import { createComputeEnv, updateComputeEnv } from "../../services/compute-envs";
import { cursored, pageOf, pageOutput, ZPageInput } from "../../paging";
import { router, workspaceProcedure } from "../../trpc";
import { ZComputeEnvListRow, ZComputeEnvOut } from "../shapes";

/**
 * A compute environment as the API answers it. The row is narrowed here, where it leaves the
 * database: stored settings that do not fit the kind fail naming the environment and the field.
 */
export function computeEnvOut(row: TComputeEnv): z.input<typeof ZComputeEnvOut> {
  const ce = parseComputeEnv(row);
  return {
    id: ce.id,
    name: ce.name,
    ...kindConfigOf(ce),
    workDir: ce.workDir,
    nextflowVersion: ce.nextflowVersion,
    envNames: Object.keys(ce.env).sort(),
    maxRunSeconds: ce.maxRunSeconds,
    check:
      ce.kind === "aws-batch" || ce.kind === "google-batch" || isSshComputeKind(ce.kind)
        ? {
            requestedAt: ce.checkRequestedAt,
            at: ce.checkedAt,
            ok: ce.checkOk,
            message: ce.checkMessage,
            hostKey: ce.checkHostKey ?? null,
          }
        : null,
    createdAt: ce.createdAt,
    updatedAt: ce.updatedAt,
  };
}

export const computeEnvsRouter = router({
  /** By name, one page (search: part of the name). */
  list: workspaceProcedure("workspace:view")
    .input(ZPageInput)
    .output(pageOutput(ZComputeEnvListRow))
    .query(async ({ ctx, input }) =>
      cursored(await listComputeEnvs(ctx.db, ctx.workspace.id, pageOf(input, "name")), "name", (c) => c.id).map(
        (c) => ({ ...computeEnvOut(c), cursor: c.cursor }),
      ),
    ),

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
    .mutation(async ({ ctx, input }) =>
      computeEnvOut(await createComputeEnv(ctx.db, ctx.workspace.id, ctx.user, input.computeEnv)),
    ),

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
    .mutation(async ({ ctx, input }) =>
      computeEnvOut(
        await updateComputeEnv(ctx.db, ctx.workspace.id, ctx.user, input.computeEnvId, input.computeEnv, input.keepEnv),
      ),
    ),

  /** Asks the worker (the only holder of the credential keys) to check a cloud environment; the list shows the answer. */
  check: workspaceProcedure("compute-envs:manage")
    .input(z.object({ computeEnvId: ZId }))
    .output(ZComputeEnvOut)
    .mutation(async ({ ctx, input }) => {
      const stored = await getComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId);
      if (!stored) throw new AppError("NOT_FOUND", "No such compute environment.");
      // Stored settings that do not fit the kind fail here, naming the field, before a check is asked for.
      const ce = parseComputeEnv(stored);
      if (ce.kind !== "aws-batch" && ce.kind !== "google-batch" && !isSshComputeKind(ce.kind)) {
        throw new AppError(
          "INVALID",
          "computeEnvId: only AWS Batch, Google Batch and SSH cluster environments are checked",
        );
      }
      const requestedAt = new Date();
      const row = await requestComputeEnvCheck(ctx.db, ctx.workspace.id, ce.id, requestedAt);
      if (!row) throw new AppError("NOT_FOUND", "No such compute environment.");
      await enqueue(ctx.queues, "computeEnvs.check", { computeEnvId: ce.id, requestedAt: requestedAt.toISOString() });
      return computeEnvOut(row);
    }),

  /**
   * Trusts the host key an SSH cluster's login node presented at the last "Check connection". Only
   * that exact fingerprint can be confirmed (the person compares it with what the cluster's
   * administrators publish); from then on a different key is refused.
   */
  confirmHostKey: workspaceProcedure("compute-envs:manage")
    .input(z.object({ computeEnvId: ZId, fingerprint: ZHostKeySha256 }))
    .output(ZComputeEnvOut)
    .mutation(async ({ ctx, input }) => {
      const stored = await getComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId);
      if (!stored) throw new AppError("NOT_FOUND", "No such compute environment.");
      const ce = isSshComputeKind(stored.kind) ? parseComputeEnv(stored) : null;
      const settings = ce && sshSettingsOf(ce);
      if (!ce || !settings)
        throw new AppError("INVALID", "computeEnvId: only SSH cluster environments have a host key");
      if (ce.checkHostKey !== input.fingerprint) {
        throw new AppError(
          "CONFLICT",
          "fingerprint: this is not the host key the login node presented at the last check; check the connection again and confirm what it shows.",
        );
      }
      const row = await confirmComputeEnvHostKey(ctx.db, ctx.workspace.id, ce.id, {
        fingerprint: input.fingerprint,
        config: { ...settings, hostKeySha256: input.fingerprint },
        message: "Host key confirmed: check the connection again.",
      });
      if (!row)
        throw new AppError(
          "CONFLICT",
          "fingerprint: the compute environment changed meanwhile; check the connection again.",
        );
      const actor = actorOf(ctx);
      await recordAudit(ctx.db, {
        actorId: actor.id,
        actorEmail: actor.email,
        ip: actor.ip,
        userAgent: actor.userAgent,
        action: "computeEnv.hostKeyConfirmed",
        workspaceId: ctx.workspace.id,
        targetType: "compute_env",
        targetId: row.id,
        targetName: row.name,
        detail: { fingerprint: input.fingerprint },
      });
      return computeEnvOut(row);
    }),

  delete: workspaceProcedure("compute-envs:manage")
    .input(z.object({ computeEnvId: ZId }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      if (!(await getComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId)))
        throw new AppError("NOT_FOUND", "No such compute environment.");
      // Cleanup needs the environment to find a run's secrets: deleting it under a live run would strand them.
      const holding = await runsHoldingComputeEnv(ctx.db, input.computeEnvId);
      if (holding.length > 0) {
        throw new AppError(
          "CONFLICT",
          `computeEnvId: ${holding.length === 1 ? "1 run uses" : `${holding.length} runs use`} this compute environment (running, or its secrets not yet deleted); cancel or wait for ${holding.length === 1 ? "it" : "them"} first.`,
        );
      }
      if (!(await deleteComputeEnv(ctx.db, ctx.workspace.id, input.computeEnvId)))
        throw new AppError("NOT_FOUND", "No such compute environment.");
      return { ok: true as const };
    }),
});
