import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import * as schema from "./schema";

export type TDatabase = ReturnType<typeof createDatabase>["db"];
/** A transaction handed to db.transaction's callback. */
export type TTx = Parameters<Parameters<TDatabase["transaction"]>[0]>[0];
/** What query functions take: the database or a transaction in progress. */
export type TDbOrTx = TDatabase | TTx;

/** Opens a pooled connection. The caller owns it and must `close()` it on shutdown. */
export function createDatabase(
  url: string,
  options: { max?: number; applicationName?: string; onQuery?: (query: string, parameters: unknown[]) => void } = {},
) {
  const onQuery = options.onQuery;
  const sql = postgres(url, {
    // For tests and benchmarks that count the statements a request sends.
    ...(onQuery
      ? { debug: (_connection: number, query: string, parameters: unknown[]) => onQuery(query, parameters) }
      : {}),
    max: options.max ?? 10,
    connect_timeout: 10,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? "lockstep" },
  });
  const db = drizzle(sql, { schema, casing: "snake_case" });
  return { db, sql, close: () => sql.end({ timeout: 5 }) };
}

/** Round-trips a query; returns latency in ms or throws. */
export async function pingDatabase(db: TDatabase): Promise<number> {
  const started = performance.now();
  await db.execute("select 1");
  return Math.round(performance.now() - started);
}
