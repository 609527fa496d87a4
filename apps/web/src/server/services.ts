import type { Redis } from "ioredis";
import { createRateLimiter, createSignInLimiter, type TRateLimiter, type TSignInLimiter } from "@lockstep/auth";
import { SealingKeyring } from "@lockstep/crypto";
import { createDatabase, createRunEventHub, type TDatabase, type TRunEventSource } from "@lockstep/db";
import { createRedis } from "@lockstep/queue";
import { webEnv } from "~/env";
import { clientAddress } from "./client-address";

/**
 * Process-wide connections, created on first use. Kept on globalThis so Next's dev server does not
 * open a new pool on every hot reload.
 */
type TServices = {
  db: TDatabase;
  redis: Redis;
  limiter: TRateLimiter;
  signInLimiter: TSignInLimiter;
  sealing: Promise<SealingKeyring>;
  runEvents: TRunEventSource;
};
const holder = globalThis as unknown as { __lockstepServices?: TServices };

export function services(): TServices {
  if (!holder.__lockstepServices) {
    const env = webEnv();
    const { db, sql } = createDatabase(env.DATABASE_URL, { applicationName: "lockstep-web" });
    const redis = createRedis(env.REDIS_URL, "producer");
    redis.on("error", () => {});
    holder.__lockstepServices = {
      db,
      redis,
      limiter: createRateLimiter(redis, env.LOCKSTEP_QUEUE_PREFIX, {
        "sign-up:ip": { points: env.LOCKSTEP_SIGNUPS_PER_ADDRESS_PER_HOUR, duration: 3600 },
      }),
      signInLimiter: createSignInLimiter(redis, env.LOCKSTEP_QUEUE_PREFIX),
      // Public keys only; the private keyring is the worker's alone.
      sealing: SealingKeyring.fromSpec(env.LOCKSTEP_SEAL_KEYS),
      // One LISTEN connection per web process, opened with the first live page (runs.onChange).
      runEvents: createRunEventHub(sql, (error) =>
        console.error(
          JSON.stringify({
            level: "warn",
            msg: "run events: listening failed; pages fall back to polling",
            error: error instanceof Error ? error.message : String(error),
          }),
        ),
      ),
    };
  }
  return holder.__lockstepServices;
}

/** The client address of a request (see client-address.ts), by this instance's proxy setting. */
export function clientIp(headers: Headers): string | null {
  return clientAddress(headers, webEnv().LOCKSTEP_TRUST_PROXY);
}
