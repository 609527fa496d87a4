import { z } from "zod";
import type { TSecretOwner } from "@lockstep/db";
import { ZHistoryInput, ZId, ZImportInput, ZSecretName, ZValueInput } from "@lockstep/validators";
import { actorOf } from "../../actor";
import { createSecret, importSecrets, removeSecret, updateSecret, validateSecretName } from "../../services/secrets";
import { pageOutput } from "../../paging";
import { listSecretPage, ZSecretListInput } from "../../services/secret-list";
import { authedProcedure, router, workspaceProcedure } from "../../trpc";
import { historyOf } from "../../services/secret-history";
import { ZImportOut, ZSecretHistoryOut, ZSecretPageRow, ZSecretRefOut, ZValidateNameOut } from "../shapes";

const ws = (ctx: { workspace: { id: string } }): TSecretOwner => ({
  scope: "workspace",
  workspaceId: ctx.workspace.id,
});

export const secretsRouter = router({
  /** The active public sealing key, for clients that seal values before sending them. */
  publicKey: authedProcedure
    .output(
      z.object({ kid: z.string(), publicKey: z.string(), algorithm: z.literal("HPKE-Base-X25519-SHA256-AES256GCM") }),
    )
    .query(({ ctx }) => ({
      kid: ctx.sealing.activeSpec.kid,
      publicKey: ctx.sealing.activeSpec.key,
      algorithm: "HPKE-Base-X25519-SHA256-AES256GCM" as const,
    })),

  /** One page of secret metadata: by name (A→Z, the Launch form's order) or last written first. */
  list: workspaceProcedure("secrets:list")
    .input(ZSecretListInput)
    .output(pageOutput(ZSecretPageRow))
    .query(({ ctx, input }) => listSecretPage(ctx.db, ws(ctx), input)),

  /** Who wrote each version of a secret and when (never a value). */
  history: workspaceProcedure("secrets:list")
    .input(ZHistoryInput)
    .output(ZSecretHistoryOut)
    .query(({ ctx, input }) => historyOf(ctx.db, ws(ctx), input)),

  validateName: workspaceProcedure("secrets:write")
    .input(z.object({ name: z.string().max(200) }))
    .output(ZValidateNameOut)
    .query(({ ctx, input }) => validateSecretName(ctx.db, ws(ctx), input.name)),

  create: workspaceProcedure("secrets:write")
    .input(z.object({ name: ZSecretName, value: ZValueInput }))
    .output(ZSecretRefOut)
    .mutation(({ ctx, input }) => createSecret(ctx, ws(ctx), actorOf(ctx), input.name, input.value)),

  update: workspaceProcedure("secrets:write")
    .input(z.object({ secretId: ZId, value: ZValueInput }))
    .output(ZSecretRefOut)
    .mutation(({ ctx, input }) => updateSecret(ctx, ws(ctx), actorOf(ctx), input.secretId, input.value)),

  delete: workspaceProcedure("secrets:write")
    .input(z.object({ secretId: ZId }))
    .output(ZSecretRefOut)
    .mutation(({ ctx, input }) => removeSecret(ctx.db, ws(ctx), actorOf(ctx), input.secretId, ctx.queues)),

  import: workspaceProcedure("secrets:write")
    .input(ZImportInput)
    .output(ZImportOut)
    .mutation(({ ctx, input }) => importSecrets(ctx, ws(ctx), actorOf(ctx), input.entries, input.overwrite)),
});
