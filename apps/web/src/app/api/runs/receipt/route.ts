import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { NextRequest } from "next/server";
import { createCaller, receiptCsv } from "@lockstep/api";
import { webEnv } from "~/env";
import { apiContext } from "~/server/context";
import { guardRequest } from "~/server/request-guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

function plain(status: number, message: string) {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * GET /api/runs/receipt?workspaceId=…&runId=… — the run's deletion receipt as CSV, built from
 * `runs.receipt` (the same permission checks, the same record as the JSON export; personal secret
 * names only for the launcher). Locations and times, never a value.
 */
export async function GET(req: NextRequest) {
  const refused = guardRequest(req, { publicUrl: webEnv().NEXTAUTH_URL, jsonOnly: false });
  if (refused) return refused;
  const workspaceId = req.nextUrl.searchParams.get("workspaceId") ?? "";
  const runId = req.nextUrl.searchParams.get("runId") ?? "";
  const caller = createCaller(await apiContext(req));
  let body: string;
  try {
    body = receiptCsv(await caller.runs.receipt({ workspaceId, runId }));
  } catch (error) {
    if (error instanceof TRPCError) return plain(getHTTPStatusCodeFromError(error), error.message);
    console.error(
      JSON.stringify({
        level: "error",
        msg: "receipt export failed",
        error: error instanceof Error ? error.message : "unknown",
      }),
    );
    return plain(500, "The export failed. Try again.");
  }
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="lockstep-receipt-${runId.replace(/[^a-f0-9-]/gi, "")}.csv"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
