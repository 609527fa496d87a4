import { Redis, type RedisOptions } from "ioredis";

/**
 * BullMQ needs `maxRetriesPerRequest: null` on connections used by workers (blocking commands
 * must not be cut short). Producers in request paths fail fast instead, so a web request never
 * hangs on a Redis outage.
 */
export function createRedis(url: string, role: "worker" | "producer", extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === "worker" ? null : 1,
    // Producers queue commands until the first connect completes, but never wait long for Redis.
    enableOfflineQueue: true,
    commandTimeout: role === "worker" ? undefined : 2_000,
    connectTimeout: 5_000,
    lazyConnect: false,
    ...extra,
  });
}

export async function pingRedis(redis: Redis): Promise<number> {
  const started = performance.now();
  const answer = await redis.ping();
  if (answer !== "PONG") throw new Error(`unexpected PING answer: ${answer}`);
  return Math.round(performance.now() - started);
}
