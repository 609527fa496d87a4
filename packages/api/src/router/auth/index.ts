import { z } from "zod";
import { ZDisplayName, ZEmail, ZPassword } from "@lockstep/validators";
import { signUp } from "../../services/identity";
import { publicProcedure, router } from "../../trpc";

export const authRouter = router({
  signUp: publicProcedure
    .input(z.object({ email: ZEmail, name: ZDisplayName, password: ZPassword }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) =>
      signUp({ db: ctx.db, limiter: ctx.limiter, signupEnabled: ctx.config.signupEnabled, ip: ctx.ip }, input),
    ),
});
