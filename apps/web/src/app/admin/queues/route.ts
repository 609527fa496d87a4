import type { NextRequest } from "next/server";
import { findUserById } from "@lockstep/db";
import { createQueues, type TQueues } from "@lockstep/queue";
import { webEnv } from "~/env";
import { queueViewResponse } from "~/server/queue-view";
import { guardRequest } from "~/server/request-guard";
import { services } from "~/server/services";
import { identityFromRequest } from "~/server/session";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const holder = globalThis as unknown as { __lockstepAdminQueues?: TQueues };

/**
 * GET /admin/queues — the BullMQ queues for instance admins (docs/metrics.md): counts by state and
 * the latest jobs, never their payloads. Anyone else, signed in or not, gets 404.
 */
export async function GET(req: NextRequest) {
  const refused = guardRequest(req, { publicUrl: webEnv().NEXTAUTH_URL, jsonOnly: false });
  if (refused) return refused;
  const identity = await identityFromRequest(req);
  const user = identity ? await findUserById(services().db, identity.userId) : null;
  holder.__lockstepAdminQueues ??= createQueues(services().redis, webEnv().LOCKSTEP_QUEUE_PREFIX);
  return queueViewResponse(
    user
      ? {
          isInstanceAdmin: user.isInstanceAdmin,
          disabledAt: user.disabledAt,
          ...(identity?.via === "token" ? { tokenScopes: identity.scopes } : {}),
        }
      : null,
    holder.__lockstepAdminQueues,
  );
}
