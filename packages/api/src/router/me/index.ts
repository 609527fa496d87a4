import { z } from "zod";
import { bumpSessionVersion, insertAccessToken, listAccessTokens, revokeAccessToken } from "@lockstep/db";
import { ZId, ZTokenName } from "@lockstep/validators";
import { AppError } from "../../errors";
import { newAccessToken } from "../../services/identity";
import { authedProcedure, router } from "../../trpc";
import { ZTokenOut, ZUserOut } from "../shapes";

const tokenOut = (t: { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null; expiresAt: Date | null }) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  expiresAt: t.expiresAt,
});

export const meRouter = router({
  get: authedProcedure.output(ZUserOut).query(({ ctx }) => ({
    id: ctx.user.id,
    email: ctx.user.email,
    name: ctx.user.name,
    isInstanceAdmin: ctx.user.isInstanceAdmin,
    createdAt: ctx.user.createdAt,
  })),

  /** Ends every browser session of this user (access tokens are revoked one by one). */
  signOutEverywhere: authedProcedure.output(z.object({ ok: z.literal(true) })).mutation(async ({ ctx }) => {
    await bumpSessionVersion(ctx.db, ctx.user.id);
    return { ok: true as const };
  }),

  tokens: router({
    list: authedProcedure.output(z.array(ZTokenOut)).query(async ({ ctx }) => (await listAccessTokens(ctx.db, ctx.user.id)).map(tokenOut)),

    /** The token itself is in this answer and nowhere else, ever. */
    create: authedProcedure
      .input(z.object({ name: ZTokenName, expiresInDays: z.number().int().min(1).max(3650).nullable().default(90) }))
      .output(z.object({ token: z.string(), accessToken: ZTokenOut }))
      .mutation(async ({ ctx, input }) => {
        const { token, prefix, tokenHash } = newAccessToken();
        const expiresAt = input.expiresInDays === null ? null : new Date(Date.now() + input.expiresInDays * 86_400_000);
        const row = await insertAccessToken(ctx.db, { userId: ctx.user.id, name: input.name, prefix, tokenHash, expiresAt });
        return { token, accessToken: tokenOut(row) };
      }),

    revoke: authedProcedure
      .input(z.object({ tokenId: ZId }))
      .output(z.object({ ok: z.literal(true) }))
      .mutation(async ({ ctx, input }) => {
        if (!(await revokeAccessToken(ctx.db, ctx.user.id, input.tokenId))) throw new AppError("NOT_FOUND", "No such access token.");
        return { ok: true as const };
      }),
  }),
});
