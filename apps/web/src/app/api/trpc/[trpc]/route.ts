import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { NextRequest } from "next/server";
import { appRouter } from "@lockstep/api";
import { pingRedis } from "@lockstep/queue";
import { webEnv } from "~/env";
import { clientIp, services } from "~/server/services";
import { identityFromRequest } from "~/server/session";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

function handler(req: NextRequest) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: async () => {
      const { db, redis, limiter, sealing } = services();
      return {
        db,
        limiter,
        sealing: await sealing,
        pingRedis: () => pingRedis(redis),
        identity: await identityFromRequest(req),
        config: { signupEnabled: webEnv().LOCKSTEP_SIGNUP_ENABLED },
        ip: clientIp(req.headers),
        userAgent: req.headers.get("user-agent"),
      };
    },
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        // The message only: causes can carry inputs, and inputs can carry secrets.
        console.error(JSON.stringify({ level: "error", msg: "tRPC internal error", path, error: error.message }));
      }
    },
  });
}

export { handler as GET, handler as POST };
