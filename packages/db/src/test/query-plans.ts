import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import * as schema from "../schema";

export type TIssuedQuery = { query: string; parameters: unknown[] };

/**
 * For tests that check a query uses an index: a database client that records every statement as
 * the code issues it, `captured` to pick one out, and `planOf` to explain it with sequential scans
 * switched off (a plan that still scans the table means no index can serve the predicate).
 */
export function queryPlanHarness() {
  const issued: TIssuedQuery[] = [];
  const client = postgres(inject("databaseUrl"), {
    max: 1,
    onnotice: () => {},
    debug: (_c, query, parameters) => void issued.push({ query, parameters: parameters as unknown[] }),
  });
  const db = drizzle(client, { schema, casing: "snake_case" });
  const plain = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });

  afterAll(async () => {
    await client.end();
    await plain.end();
  });

  async function planOf(query: string, parameters: unknown[]): Promise<string> {
    return plain.begin(async (tx) => {
      await tx.unsafe("set local enable_seqscan = off");
      const rows = await tx.unsafe(`explain ${query}`, parameters as never[]);
      return rows.map((r) => String(r["QUERY PLAN"])).join("\n");
    });
  }

  async function captured<T>(use: () => Promise<T>, match: RegExp): Promise<TIssuedQuery> {
    issued.length = 0;
    await use();
    const found = issued.find((q) => match.test(q.query));
    if (!found) throw new Error(`no issued query matched ${match}: ${issued.map((q) => q.query).join(" | ")}`);
    return found;
  }

  /** The last statement `use` issued (a list query issues its page last). */
  async function lastIssued(use: () => Promise<unknown>): Promise<TIssuedQuery> {
    issued.length = 0;
    await use();
    const found = issued.at(-1);
    if (!found) throw new Error("no query issued");
    return found;
  }

  return { db, plain, planOf, captured, lastIssued };
}
