import { z } from "zod";
import { tokenScopes } from "@lockstep/auth";
import {
  bumpSessionVersion,
  insertAccessToken,
  listAccessTokens,
  revokeAccessToken,
  revokeAllAccessTokens,
  type TAccessToken,
} from "@lockstep/db";
import { ZId, ZTokenName } from "@lockstep/validators";
import { AppError } from "../../errors";
import { newAccessToken } from "../../services/identity";
import { cursored, pageOf, pageOutput, withCursor, ZPageInput } from "../../paging";
import { authedProcedure, router } from "../../trpc";
import { ZTokenOut, ZUserOut } from "../shapes";

const tokenOut = (t: Omit<TAccessToken, "cursorKey">) => ({
  id: t.id,
  name: t.name,
  prefix: t.prefix,
  scopes: tokenScopes.filter((s) => t.scopes.includes(s)),
  createdAt: t.createdAt,
  lastUsedAt: t.lastUsedAt,
  lastUsedIp: t.lastUsedIp,
  expiresAt: t.expiresAt,
});

/** Days a new token lives when the caller does not say: 90, or the instance's maximum if lower. */
const DEFAULT_TOKEN_DAYS = 90;

export const meRouter = router({
  get: authedProcedure.output(ZUserOut).query(({ ctx }) => ({
    id: ctx.user.id,
    email: ctx.user.email,
    name: ctx.user.name,
    isInstanceAdmin: ctx.user.isInstanceAdmin,
    createdAt: ctx.user.createdAt,
  })),

  /**
   * Ends every browser session of this user and, with `revokeTokens`, revokes every access token
   * too (someone who may have taken over the account may also have minted tokens). A session only.
   */
  signOutEverywhere: authedProcedure
    .input(z.object({ revokeTokens: z.boolean().default(false) }).nullish())
    .output(z.object({ ok: z.literal(true), revokedTokens: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      await bumpSessionVersion(ctx.db, ctx.user.id);
      const revokedTokens = input?.revokeTokens ? await revokeAllAccessTokens(ctx.db, ctx.user.id) : 0;
      return { ok: true as const, revokedTokens };
    }),

  /** Managing tokens needs a browser session (see @lockstep/auth scopes): a token cannot mint another. */
  tokens: router({
    /** What the create form may offer: the instance's longest lifetime. */
    limits: authedProcedure
      .output(z.object({ maxDays: z.number().int(), defaultDays: z.number().int() }))
      .query(({ ctx }) => ({
        maxDays: ctx.config.tokenMaxDays,
        defaultDays: Math.min(DEFAULT_TOKEN_DAYS, ctx.config.tokenMaxDays),
      })),

    /** Live tokens, oldest first, one page. */
    list: authedProcedure
      .input(ZPageInput.default({ limit: 50 }))
      .output(pageOutput(withCursor(ZTokenOut)))
      .query(async ({ ctx, input }) =>
        cursored(await listAccessTokens(ctx.db, ctx.user.id, pageOf(input, "created")), "created", (t) => t.id).map(
          (t) => ({ ...tokenOut(t), cursor: t.cursor }),
        ),
      ),

    /** The token itself is in this answer and nowhere else, ever. */
    create: authedProcedure
      .input(
        z.object({
          name: ZTokenName,
          expiresInDays: z
            .number({ error: "Tokens expire: give expiresInDays, a whole number of days." })
            .int({ error: "expiresInDays must be a whole number of days." })
            .min(1, "A token lives at least 1 day.")
            .optional(),
          scopes: z
            .array(z.enum(tokenScopes, { error: `Scopes are ${tokenScopes.join(", ")}.` }))
            .min(1, "Choose at least one scope.")
            .default(["read"]),
        }),
      )
      .output(z.object({ token: z.string(), accessToken: ZTokenOut }))
      .mutation(async ({ ctx, input }) => {
        const max = ctx.config.tokenMaxDays;
        const days = input.expiresInDays ?? Math.min(DEFAULT_TOKEN_DAYS, max);
        if (days > max) {
          throw new AppError("INVALID", `Tokens on this instance live at most ${max} days.`, [
            { field: "expiresInDays", message: `At most ${max} days on this instance.` },
          ]);
        }
        const { token, prefix, tokenHash } = newAccessToken();
        const scopes = tokenScopes.filter((s) => input.scopes.includes(s));
        const row = await insertAccessToken(ctx.db, {
          userId: ctx.user.id,
          name: input.name,
          prefix,
          tokenHash,
          scopes,
          expiresAt: new Date(Date.now() + days * 86_400_000),
        });
        return { token, accessToken: tokenOut(row) };
      }),

    revoke: authedProcedure
      .input(z.object({ tokenId: ZId }))
      .output(z.object({ ok: z.literal(true) }))
      .mutation(async ({ ctx, input }) => {
        if (!(await revokeAccessToken(ctx.db, ctx.user.id, input.tokenId)))
          throw new AppError("NOT_FOUND", "No such access token.");
        return { ok: true as const };
      }),
  }),
});
