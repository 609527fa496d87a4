import { asc, desc, sql, type AnyColumn, type Placeholder, type SQL } from "drizzle-orm";
import { likePattern } from "@lockstep/validators";

/**
 * One keyset order: a sort column and the id that breaks its ties. Pages continue strictly after
 * the (key, id) pair of the previous page's last row, compared in SQL at the column's full
 * precision (a timestamp cursor is Postgres' own text to the microsecond, cast back in SQL).
 */
export type TKeyset = { key: AnyColumn | SQL; id: AnyColumn; kind: "timestamp" | "text"; direction: "asc" | "desc" };

/** What a list query takes: how many, and the previous page's last (key, id), if any. */
export type TPage = { limit: number; after?: { key: string; id: string } | null; search?: string | null };

/** The sort key as text, selected beside each row so its cursor carries the exact value. */
export function keysetKey(k: TKeyset): SQL<string> {
  return k.kind === "timestamp"
    ? sql<string>`to_char(${k.key} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    : sql<string>`${k.key}`;
}

/**
 * A timestamp column as the text `Date#toISOString()` writes for it — UTC, milliseconds (the
 * microseconds cut off, as a Date built from the column cuts them), a `Z` — made by Postgres
 * (issue #15). A list page's dates left the API as these strings anyway; building a Date per date
 * of each row and an ISO string from it cost more JavaScript than the page's other columns.
 * NULL stays NULL. Years 0–9999 only (a Date writes ±YYYYYY outside them; no Lockstep date is).
 */
export function isoText(column: AnyColumn & { _: { notNull: true } }): SQL<string>;
export function isoText(column: AnyColumn): SQL<string | null>;
export function isoText(column: AnyColumn): SQL<string | null> {
  return sql<string | null>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
}

/** `after` may hold placeholders (prepared.ts) instead of the values: the SQL text is the same. */
export function keysetAfter(
  k: TKeyset,
  after: { key: string | Placeholder; id: string | Placeholder } | null | undefined,
): SQL | undefined {
  if (!after) return undefined;
  const key = k.kind === "timestamp" ? sql`${after.key}::timestamptz` : sql`${after.key}`;
  return k.direction === "asc"
    ? sql`(${k.key}, ${k.id}) > (${key}, ${after.id}::uuid)`
    : sql`(${k.key}, ${k.id}) < (${key}, ${after.id}::uuid)`;
}

export function keysetOrder(k: TKeyset): SQL[] {
  return k.direction === "asc" ? [asc(k.key), asc(k.id)] : [desc(k.key), desc(k.id)];
}

/** Case-insensitive "name contains", wildcards in the search taken literally. */
export function nameContains(column: AnyColumn, search: string | null | undefined): SQL | undefined {
  return search ? sql`${column} ilike ${likePattern(search)}` : undefined;
}

/** The same condition in a prepared statement: the placeholder's value is `likePattern(search)`. */
export function nameContainsSlot(column: AnyColumn, pattern: Placeholder): SQL {
  return sql`${column} ilike ${pattern}`;
}
