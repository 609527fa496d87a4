import { z } from "zod";
import { ZIsoDate } from "../shapes";
import {
  computeEnvsUsingCredential,
  deleteCredential,
  findCredential,
  insertCredential,
  listCredentials,
  overwriteCredential,
  recordAudit,
  type TDbOrTx,
} from "@lockstep/db";
import { credentialProblem, ZId, type TAuditAction } from "@lockstep/validators";
import { cursored, pageOf, pageOutput, withCursor, ZPageInput } from "../../paging";
import { AppError } from "../../errors";
import { sealedFrom, type TValueInput } from "../../services/secrets";
import { router, workspaceProcedure } from "../../trpc";
import { actorOf } from "../../actor";

const ZProvider = z.enum(["aws", "google", "ssh"]);
const ZCredentialOut = z.object({
  id: z.string(),
  name: z.string(),
  provider: ZProvider,
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});
const ZCredentialRef = z.object({ id: z.string(), name: z.string(), provider: ZProvider });

/** A credential arrives sealed by the browser, or as plain JSON checked then sealed here. */
const ZCredentialValue = z.union([
  z.strictObject({ sealed: z.string().min(1).max(60_000) }),
  z.strictObject({ plain: z.string().min(2).max(16_384, "value: at most 16 KiB of JSON") }),
]);

async function sealCredential(
  ctx: { sealing: Parameters<typeof sealedFrom>[0]; workspace: { id: string } },
  provider: "aws" | "google" | "ssh",
  name: string,
  value: TValueInput,
) {
  if ("plain" in value) {
    const problem = credentialProblem(provider, value.plain);
    if (problem) throw new AppError("INVALID", problem);
  }
  return sealedFrom(ctx.sealing, value, { scope: "credential", ownerId: ctx.workspace.id, name });
}

function audit(
  ctx: Parameters<typeof actorOf>[0] & { db: TDbOrTx; workspace: { id: string } },
  action: TAuditAction,
  ref: { id: string; name: string },
) {
  const actor = actorOf(ctx);
  return recordAudit(ctx.db, {
    actorId: actor.id,
    actorEmail: actor.email,
    ip: actor.ip,
    userAgent: actor.userAgent,
    action,
    workspaceId: ctx.workspace.id,
    targetType: "credential",
    targetId: ref.id,
    targetName: ref.name,
  });
}

/** Write-only credentials (cloud keys, cluster SSH keys), like secrets: names and dates are listed, values never. */
export const credentialsRouter = router({
  /** By name, one page (search: part of the name). */
  list: workspaceProcedure("workspace:view")
    .input(ZPageInput)
    .output(pageOutput(withCursor(ZCredentialOut)))
    .query(async ({ ctx, input }) =>
      cursored(await listCredentials(ctx.db, ctx.workspace.id, pageOf(input, "name")), "name", (c) => c.id),
    ),

  create: workspaceProcedure("compute-envs:manage")
    .input(
      z.object({
        name: z.string().trim().min(1, "Give the credentials a name.").max(100, "Name must be at most 100 characters."),
        provider: ZProvider,
        value: ZCredentialValue,
      }),
    )
    .output(ZCredentialRef)
    .mutation(async ({ ctx, input }) => {
      const { sealed, keyId } = await sealCredential(ctx, input.provider, input.name, input.value);
      const row = await insertCredential(ctx.db, {
        workspaceId: ctx.workspace.id,
        name: input.name,
        provider: input.provider,
        sealed,
        keyId,
        actorId: ctx.user.id,
      });
      if (!row) throw new AppError("CONFLICT", `Credentials named "${input.name}" already exist in this workspace.`);
      await audit(ctx, "credential.created", row);
      return row;
    }),

  update: workspaceProcedure("compute-envs:manage")
    .input(z.object({ credentialId: ZId, value: ZCredentialValue }))
    .output(ZCredentialRef)
    .mutation(async ({ ctx, input }) => {
      const existing = await findCredential(ctx.db, ctx.workspace.id, input.credentialId);
      if (!existing) throw new AppError("NOT_FOUND", "No such credentials.");
      const { sealed, keyId } = await sealCredential(ctx, existing.provider, existing.name, input.value);
      const row = (await overwriteCredential(ctx.db, ctx.workspace.id, existing.id, {
        sealed,
        keyId,
        actorId: ctx.user.id,
      }))!;
      await audit(ctx, "credential.overwritten", row);
      return row;
    }),

  delete: workspaceProcedure("compute-envs:manage")
    .input(z.object({ credentialId: ZId }))
    .output(ZCredentialRef)
    .mutation(async ({ ctx, input }) => {
      // A compute environment without its credentials could neither start runs nor delete their secrets.
      const users = await computeEnvsUsingCredential(ctx.db, ctx.workspace.id, input.credentialId);
      if (users.length > 0) {
        throw new AppError(
          "CONFLICT",
          `credentialId: used by compute environment ${users.map((n) => `"${n}"`).join(", ")}; change or delete it first.`,
        );
      }
      const row = await deleteCredential(ctx.db, ctx.workspace.id, input.credentialId);
      if (!row) throw new AppError("NOT_FOUND", "No such credentials.");
      await audit(ctx, "credential.deleted", row);
      return row;
    }),
});
