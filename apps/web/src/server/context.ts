import { headers } from "next/headers";
import type { NextRequest } from "next/server";
import { createCaller, type TContext, type TIdentity } from "@lockstep/api";
import { createQueues, pingRedis, type TQueues } from "@lockstep/queue";
import { signupDefault, webEnv } from "~/env";
import { clientIp, services } from "./services";
import { currentUser, identityFromRequest } from "./session";

const holder = globalThis as unknown as { __lockstepQueues?: TQueues };

/** The API context of a request: the caller (session cookie or bearer token) and the services. */
export async function apiContext(req: NextRequest): Promise<TContext> {
  return contextFor(await identityFromRequest(req), req.headers);
}

/**
 * The API as the signed-in user of the page being rendered: server components ask it what they
 * must know before answering (a workspace the user cannot see is a 404, not a 200 with a card).
 */
export async function pageCaller() {
  const user = await currentUser();
  return createCaller(await contextFor(user ? { userId: user.id, via: "session", user } : null, await headers()));
}

async function contextFor(identity: TIdentity | null, requestHeaders: Headers): Promise<TContext> {
  const { db, redis, limiter, sealing, runEvents } = services();
  holder.__lockstepQueues ??= createQueues(redis, webEnv().LOCKSTEP_QUEUE_PREFIX);
  return {
    db,
    limiter,
    sealing: await sealing,
    queues: holder.__lockstepQueues,
    pingRedis: () => pingRedis(redis),
    identity,
    runEvents,
    config: {
      signup: signupDefault(webEnv()),
      localPipelineRoots: webEnv().LOCKSTEP_LOCAL_PIPELINE_ROOTS,
      tokenMaxDays: webEnv().LOCKSTEP_TOKEN_MAX_DAYS,
    },
    // The socket's address, or the trusted proxy's header: rate limits and the audit log use it.
    ip: clientIp(requestHeaders),
    userAgent: requestHeaders.get("user-agent"),
  };
}
