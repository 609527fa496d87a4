import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

export const migrationsFolder = join(dirname(fileURLToPath(import.meta.url)), "..", "drizzle");

/** Applies the committed migrations in order; safe to run at every start and from many processes. */
export async function runMigrations(url: string): Promise<void> {
  const sql = postgres(url, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    // Serialise concurrent starters (web and worker, or several replicas) on one advisory lock.
    await sql`select pg_advisory_lock(7263001)`;
    await migrate(drizzle(sql), { migrationsFolder });
  } finally {
    await sql`select pg_advisory_unlock(7263001)`.catch(() => {});
    await sql.end({ timeout: 5 });
  }
}
