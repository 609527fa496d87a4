import { z } from "zod";
import type { TSecretOwner } from "@lockstep/db";
import { ZHistoryInput, ZId, ZImportInput, ZSecretName, ZValueInput } from "@lockstep/validators";
import { createSecret, importSecrets, removeSecret, updateSecret, validateSecretName } from "../../services/secrets";
import { authedProcedure, router } from "../../trpc";
import { actorOf } from "../../actor";
import { historyOf } from "../../services/secret-history";
import { pageOutput } from "../../paging";
import { listSecretPage, ZSecretListInput } from "../../services/secret-list";
import { ZImportOut, ZSecretHistoryOut, ZSecretPageRow, ZSecretRefOut, ZValidateNameOut } from "../shapes";

/** The caller's own secrets: nobody else sees them, not even their names. */
const mine = (ctx: { user: { id: string } }): TSecretOwner => ({ scope: "user", userId: ctx.user.id });

export const userSecretsRouter = router({
  list: authedProcedure
    .input(ZSecretListInput)
    .output(pageOutput(ZSecretPageRow))
    .query(({ ctx, input }) => listSecretPage(ctx.db, mine(ctx), input)),

  /** Who wrote each version of one of your secrets and when (never a value). */
  history: authedProcedure
    .input(ZHistoryInput)
    .output(ZSecretHistoryOut)
    .query(({ ctx, input }) => historyOf(ctx.db, mine(ctx), input)),

  validateName: authedProcedure
    .input(z.object({ name: z.string().max(200) }))
    .output(ZValidateNameOut)
    .query(({ ctx, input }) => validateSecretName(ctx.db, mine(ctx), input.name)),

  create: authedProcedure
    .input(z.object({ name: ZSecretName, value: ZValueInput }))
    .output(ZSecretRefOut)
    .mutation(({ ctx, input }) => createSecret(ctx, mine(ctx), actorOf(ctx), input.name, input.value)),

  update: authedProcedure
    .input(z.object({ secretId: ZId, value: ZValueInput }))
    .output(ZSecretRefOut)
    .mutation(({ ctx, input }) => updateSecret(ctx, mine(ctx), actorOf(ctx), input.secretId, input.value)),

  delete: authedProcedure
    .input(z.object({ secretId: ZId }))
    .output(ZSecretRefOut)
    .mutation(({ ctx, input }) => removeSecret(ctx.db, mine(ctx), actorOf(ctx), input.secretId)),

  import: authedProcedure
    .input(ZImportInput)
    .output(ZImportOut)
    .mutation(({ ctx, input }) => importSecrets(ctx, mine(ctx), actorOf(ctx), input.entries, input.overwrite)),
});
