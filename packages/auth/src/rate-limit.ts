import type { Redis } from "ioredis";
import { RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";

export type TLimitKind = "sign-in:ip" | "sign-in:account" | "sign-up:ip";

const RULES: Record<TLimitKind, { points: number; duration: number }> = {
  "sign-in:ip": { points: 30, duration: 10 * 60 },
  "sign-in:account": { points: 10, duration: 10 * 60 },
  "sign-up:ip": { points: 10, duration: 60 * 60 },
};

/**
 * Requests whose client address is unknown (no trusted proxy header) share one bucket per kind;
 * it gets ten times the points so one noisy client cannot lock everyone out, while the
 * per-account limit still protects each account.
 */
export const UNKNOWN_CLIENT = "unknown-client";

export type TRateLimiter = {
  /** Consumes one attempt; resolves the seconds to wait when over the limit, else null. */
  hit(kind: TLimitKind, key: string): Promise<number | null>;
  reset(kind: TLimitKind, key: string): Promise<void>;
};

/** Fixed-window limits kept in Redis, so they hold across web replicas and restarts. */
export function createRateLimiter(redis: Redis, prefix: string, overrides: Partial<Record<TLimitKind, { points: number; duration: number }>> = {}): TRateLimiter {
  const limiters = new Map<string, RateLimiterRedis>();
  const limiter = (kind: TLimitKind, key: string) => {
    const shared = key === UNKNOWN_CLIENT;
    const id = `${kind}${shared ? ":shared" : ""}`;
    let l = limiters.get(id);
    if (!l) {
      const rule = overrides[kind] ?? RULES[kind];
      l = new RateLimiterRedis({
        storeClient: redis,
        keyPrefix: `${prefix}:rl:${id}`,
        points: shared ? rule.points * 10 : rule.points,
        duration: rule.duration,
        useRedisPackage: false,
      });
      limiters.set(id, l);
    }
    return l;
  };
  return {
    async hit(kind, key) {
      try {
        await limiter(kind, key).consume(key.toLowerCase());
        return null;
      } catch (error) {
        if (error instanceof RateLimiterRes) return Math.ceil(error.msBeforeNext / 1000);
        throw error;
      }
    },
    async reset(kind, key) {
      await limiter(kind, key).delete(key.toLowerCase());
    },
  };
}
