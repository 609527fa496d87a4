import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { TDatabase } from "@lockstep/db";
import { AppError, toTRPCError } from "./errors";

export type TContext = {
  db: TDatabase;
  /** Pings Redis; injected so the API does not own the connection. */
  pingRedis: () => Promise<number>;
  ip: string | null;
  userAgent: string | null;
};

const t = initTRPC.context<TContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    // Field messages from zod, so a form can show each next to its input; never the input itself.
    const fieldErrors =
      error.cause instanceof ZodError
        ? Object.fromEntries(error.cause.issues.map((i) => [i.path.join(".") || "(root)", i.message]))
        : undefined;
    return { ...shape, data: { ...shape.data, stack: undefined, fieldErrors } };
  },
});

const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) throw toTRPCError(result.error.cause);
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapAppErrors);
