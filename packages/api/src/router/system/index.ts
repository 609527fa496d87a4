import { z } from "zod";
import { ZIsoDate } from "../shapes";
import { latestHeartbeat, pingDatabase, probe } from "@lockstep/db";
import { publicProcedure, router } from "../../trpc";

const ZProbe = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), latencyMs: z.number() }),
  z.object({ ok: z.literal(false), error: z.string() }),
]);

export const systemRouter = router({
  health: publicProcedure
    .output(
      z.object({
        status: z.enum(["ok", "degraded"]),
        postgres: ZProbe,
        redis: ZProbe,
        worker: z.object({ lastHealthCheckAt: ZIsoDate.nullable() }),
      }),
    )
    .query(async ({ ctx }) => {
      const [postgres, redis] = await Promise.all([probe(() => pingDatabase(ctx.db)), probe(ctx.pingRedis)]);
      const beat = postgres.ok ? await latestHeartbeat(ctx.db).catch(() => null) : null;
      return {
        status: postgres.ok && redis.ok ? ("ok" as const) : ("degraded" as const),
        postgres,
        redis,
        worker: { lastHealthCheckAt: beat?.lastHealthCheckAt ?? null },
      };
    }),
});
