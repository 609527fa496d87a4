import type { Redis } from "ioredis";
import { createDatabase, type TDatabase } from "@lockstep/db";
import { createRedis } from "@lockstep/queue";
import { webEnv } from "~/env";

/**
 * Process-wide connections, created on first use. Kept on globalThis so Next's dev server does not
 * open a new pool on every hot reload.
 */
type TServices = { db: TDatabase; redis: Redis };
const holder = globalThis as unknown as { __lockstepServices?: TServices };

export function services(): TServices {
  if (!holder.__lockstepServices) {
    const env = webEnv();
    const { db } = createDatabase(env.DATABASE_URL, { applicationName: "lockstep-web" });
    const redis = createRedis(env.REDIS_URL, "producer", { lazyConnect: true });
    redis.on("error", () => {});
    holder.__lockstepServices = { db, redis };
  }
  return holder.__lockstepServices;
}
