import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import type { NextRequest } from "next/server";
import { createCaller } from "@lockstep/api";
import { AUDIT_CSV_COLUMNS, auditCsvRow, csvRow } from "~/components/secrets/csv";
import { webEnv } from "~/env";
import { apiContext } from "~/server/context";
import { guardRequest } from "~/server/request-guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const PAGE = 500;

function plain(status: number, message: string) {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/**
 * GET /api/audit/export?workspaceId=…[&action=…] — the workspace's audit log as CSV, newest first,
 * for owners and admins ("audit:read"). Read page by page through `audit.list`, so it answers
 * exactly what the Activity tab shows; audit events carry no secret values, nor does this.
 */
export async function GET(req: NextRequest) {
  // A read (GET): no origin check, but the same front-door requirement as the rest of the API.
  const refused = guardRequest(req, { publicUrl: webEnv().NEXTAUTH_URL, jsonOnly: false });
  if (refused) return refused;
  const workspaceId = req.nextUrl.searchParams.get("workspaceId") ?? "";
  const action = req.nextUrl.searchParams.get("action") || undefined;
  // The context the tRPC handler builds: session cookie or bearer token, the same permission checks.
  const caller = createCaller(await apiContext(req));

  let first: Awaited<ReturnType<typeof caller.audit.list>>;
  let slug: string;
  try {
    first = await caller.audit.list({ workspaceId, action, limit: PAGE });
    slug = (await caller.workspaces.get({ workspaceId })).slug;
  } catch (error) {
    if (error instanceof TRPCError) return plain(getHTTPStatusCodeFromError(error), error.message);
    console.error(
      JSON.stringify({
        level: "error",
        msg: "audit export failed",
        error: error instanceof Error ? error.message : "unknown",
      }),
    );
    return plain(500, "The export failed. Try again.");
  }

  const encoder = new TextEncoder();
  let pending: typeof first.items | null = first.items;
  let cursor = first.nextCursor;
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(csvRow([...AUDIT_CSV_COLUMNS])));
    },
    async pull(controller) {
      try {
        if (!pending) {
          if (cursor === null) return controller.close();
          const page = await caller.audit.list({ workspaceId, action, cursor, limit: PAGE });
          pending = page.items;
          cursor = page.nextCursor;
        }
        controller.enqueue(encoder.encode(pending.map(auditCsvRow).join("")));
        pending = null;
      } catch (error) {
        console.error(
          JSON.stringify({
            level: "error",
            msg: "audit export failed mid-stream",
            error: error instanceof Error ? error.message : "unknown",
          }),
        );
        controller.error(error);
      }
    },
  });

  const date = new Date().toISOString().slice(0, 10);
  return new Response(body, {
    headers: {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="lockstep-audit-${slug}${action ? `-${action.replace(/[^a-z0-9.-]/gi, "")}` : ""}-${date}.csv"`,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
