import type { NextRequest } from "next/server";
import type { TContext } from "@lockstep/api";
import { createQueues, pingRedis, type TQueues } from "@lockstep/queue";
import { signupDefault, webEnv } from "~/env";
import { clientIp, services } from "./services";
import { identityFromRequest } from "./session";

const holder = globalThis as unknown as { __lockstepQueues?: TQueues };

/** The API context of a request: the caller (session cookie or bearer token) and the services. */
export async function apiContext(req: NextRequest): Promise<TContext> {
  const { db, redis, limiter, sealing, runEvents } = services();
  holder.__lockstepQueues ??= createQueues(redis, webEnv().LOCKSTEP_QUEUE_PREFIX);
  return {
    db,
    limiter,
    sealing: await sealing,
    queues: holder.__lockstepQueues,
    pingRedis: () => pingRedis(redis),
    identity: await identityFromRequest(req),
    runEvents,
    config: {
      signup: signupDefault(webEnv()),
      localPipelineRoots: webEnv().LOCKSTEP_LOCAL_PIPELINE_ROOTS,
      tokenMaxDays: webEnv().LOCKSTEP_TOKEN_MAX_DAYS,
    },
    // The socket's address, or the trusted proxy's header: rate limits and the audit log use it.
    ip: clientIp(req.headers),
    userAgent: req.headers.get("user-agent"),
  };
}
