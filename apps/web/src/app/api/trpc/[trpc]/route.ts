import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { NextRequest } from "next/server";
import { appRouter } from "@lockstep/api";
import { apiContext } from "~/server/context";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

function handler(req: NextRequest) {
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => apiContext(req),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        // The message only: causes can carry inputs, and inputs can carry secrets.
        console.error(JSON.stringify({ level: "error", msg: "tRPC internal error", path, error: error.message }));
      }
    },
  });
}

export { handler as GET, handler as POST };
