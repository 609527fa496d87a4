import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dataDir, ports } from "../../playwright.config";

/**
 * The e2e app's own Postgres and Redis, as the tests that inspect them reach them: `npm start`
 * gives each a random password kept in a 0600 file under the data directory (never a fixed one a
 * pipeline could guess), so the tests read it there as an operator would.
 */
const secret = (path: string) => encodeURIComponent(readFileSync(join(dataDir, path), "utf8").trim());

export const databaseUrl = () =>
  `postgres://lockstep:${secret("postgres.password")}@127.0.0.1:${ports.postgres}/lockstep`;
export const redisUrl = () => `redis://:${secret("redis/redis.password")}@127.0.0.1:${ports.redis}`;
