import type { NextRequest } from "next/server";
import { handleRest } from "@lockstep/api";
import { webEnv } from "~/env";
import { apiContext } from "~/server/context";
import { guardRequest } from "~/server/request-guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * The REST API (/api/v1, OpenAPI at /api/v1/openapi.json): routes in @lockstep/api's rest/, each
 * calling the tRPC procedures with this request's context, so the rules are those of tRPC. Bearer
 * tokens only (the handler refuses a request without one before the context is built, so a session
 * cookie never authenticates here).
 */
function handler(req: NextRequest) {
  const refused = guardRequest(req, { publicUrl: webEnv().NEXTAUTH_URL, jsonOnly: false });
  if (refused) return refused;
  return handleRest(req, { basePath: "/api/v1", context: () => apiContext(req) });
}

export { handler as GET, handler as POST, handler as PUT, handler as DELETE, handler as PATCH };
