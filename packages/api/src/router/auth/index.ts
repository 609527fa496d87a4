import { z } from "zod";
import { ZDisplayName, ZEmail, ZPassword } from "@lockstep/validators";
import { signUp } from "../../services/identity";
import { publicProcedure, router } from "../../trpc";

export const authRouter = router({
  /** `setupCode`: the instance's one-time setup code; required (and only used) while the instance has no admin. */
  signUp: publicProcedure
    .input(
      z.object({
        email: ZEmail,
        name: ZDisplayName,
        password: ZPassword,
        setupCode: z.string().trim().max(200).optional(),
      }),
    )
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) =>
      signUp(
        { db: ctx.db, limiter: ctx.limiter, signupDefault: ctx.config.signup, ip: ctx.ip, userAgent: ctx.userAgent },
        input,
      ),
    ),
});
