import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { NextRequest } from "next/server";
import { appRouter } from "@lockstep/api";
import { webEnv } from "~/env";
import { apiContext } from "~/server/context";
import { guardRequest, refusal } from "~/server/request-guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/** Procedures per batched request; the client's httpBatchLink sends at most as many (trpc/react.tsx). */
const MAX_BATCH_SIZE = 16;

function handler(req: NextRequest) {
  const refused = guardRequest(req, { publicUrl: webEnv().NEXTAUTH_URL, jsonOnly: true });
  if (refused) return refused;
  if (req.nextUrl.searchParams.get("batch") === "1") {
    const size = req.nextUrl.pathname.slice("/api/trpc/".length).split(/,|%2C/i).length;
    if (size > MAX_BATCH_SIZE)
      return refusal(
        400,
        "BATCH_TOO_LARGE",
        `A batch may hold at most ${MAX_BATCH_SIZE} procedures; this one has ${size}.`,
      );
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    maxBatchSize: MAX_BATCH_SIZE, // tRPC's own check, behind the clearer one above
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
