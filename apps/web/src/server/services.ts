import type { Redis } from "ioredis";
import { createRateLimiter, type TRateLimiter } from "@lockstep/auth";
import { SealingKeyring } from "@lockstep/crypto";
import { createDatabase, type TDatabase } from "@lockstep/db";
import { createRedis } from "@lockstep/queue";
import { webEnv } from "~/env";

/**
 * Process-wide connections, created on first use. Kept on globalThis so Next's dev server does not
 * open a new pool on every hot reload.
 */
type TServices = { db: TDatabase; redis: Redis; limiter: TRateLimiter; sealing: Promise<SealingKeyring> };
const holder = globalThis as unknown as { __lockstepServices?: TServices };

export function services(): TServices {
  if (!holder.__lockstepServices) {
    const env = webEnv();
    const { db } = createDatabase(env.DATABASE_URL, { applicationName: "lockstep-web" });
    const redis = createRedis(env.REDIS_URL, "producer");
    redis.on("error", () => {});
    holder.__lockstepServices = {
      db,
      redis,
      limiter: createRateLimiter(redis, env.LOCKSTEP_QUEUE_PREFIX),
      // Public keys only; the private keyring is the worker's alone.
      sealing: SealingKeyring.fromSpec(env.LOCKSTEP_SEAL_KEYS),
    };
  }
  return holder.__lockstepServices;
}

/**
 * The client's address when a trusted proxy states it (LOCKSTEP_TRUST_PROXY=true and
 * X-Forwarded-For); Next's route handlers do not expose the socket address, and an untrusted
 * header could be forged to dodge per-address limits.
 */
export function clientIp(headers: Headers): string | null {
  if (webEnv().LOCKSTEP_TRUST_PROXY) {
    const forwarded = headers.get("x-forwarded-for")?.split(",")[0]?.trim();
    if (forwarded) return forwarded;
  }
  return null;
}
