import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { runMigrations } from "@lockstep/db/migrate";
import { checkPostgres, checkRedis, freePort, startEmbeddedPostgres, startPrivateRedis } from "@lockstep/devstack";

/**
 * One real Postgres and one real Redis for the integration run: TEST_DATABASE_URL / TEST_REDIS_URL
 * when given, else an embedded Postgres and a private redis-server in a temporary directory.
 */
export default async function setup(project: TestProject) {
  const stops: Array<() => Promise<void>> = [];
  const dir = mkdtempSync(join(tmpdir(), "lockstep-it-"));
  chmodSync(dir, 0o755); // the postgres system user must traverse it when run as root

  let databaseUrl = process.env.TEST_DATABASE_URL;
  if (databaseUrl) await checkPostgres(databaseUrl, "TEST_DATABASE_URL");
  else {
    const pg = await startEmbeddedPostgres({ dataDir: join(dir, "postgres"), port: await freePort(), quiet: true });
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }
  let redisUrl = process.env.TEST_REDIS_URL;
  if (redisUrl) await checkRedis(redisUrl, "TEST_REDIS_URL");
  else {
    const redis = await startPrivateRedis({ dir: join(dir, "redis"), port: await freePort() });
    stops.push(redis.stop);
    redisUrl = redis.url;
  }
  await runMigrations(databaseUrl);
  project.provide("databaseUrl", databaseUrl);
  project.provide("redisUrl", redisUrl);

  return async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
}
