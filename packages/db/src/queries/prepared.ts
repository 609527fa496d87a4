import { Column, getTableName, is, SQL, sql, Subquery, type Placeholder } from "drizzle-orm";
import { PgTransaction } from "drizzle-orm/pg-core";
import type { TDbOrTx } from "../client";

/**
 * Hot statements built once (issue #15). Building a drizzle query — walking its columns, joins and
 * conditions into SQL text — costs more JavaScript per request than the list page's rows do, so
 * the statements every request sends (the token lookup, the access check, a list page) are built
 * once per database handle and shape, with placeholders where the values go, and run as prepared
 * statements. The text is the one the builder writes anyway; only the values change per call.
 *
 * `shape` names everything that changes the SQL text (which optional conditions are present, the
 * sort), never a value. Inside a transaction the statement is built afresh (a prepared query is
 * bound to the handle it was built on, and a transaction's handle lives for one call).
 */
const built = new WeakMap<object, Map<string, unknown>>();

export function prepared<Q>(db: TDbOrTx, shape: string, build: (db: TDbOrTx, name: string) => Q): Q {
  if (is(db, PgTransaction)) return build(db, shape);
  let byShape = built.get(db);
  if (!byShape) built.set(db, (byShape = new Map()));
  let query = byShape.get(shape) as Q | undefined;
  if (!query) byShape.set(shape, (query = withCompiledRowMapper(build(db, shape))));
  return query;
}

/**
 * What drizzle's prepared select keeps (internal, drizzle-orm 0.45): its selected fields in column
 * order, which joined tables may be null, and an optional mapper it calls instead of its own.
 */
type TPreparedSelect = {
  fields?: Array<{ path: string[]; field: unknown }>;
  joinsNotNullableMap?: Record<string, boolean>;
  customResultMapper?: (rows: unknown[][]) => unknown;
};
type TDecoder = { mapFromDriverValue(value: unknown): unknown };

/** The decoder drizzle's mapResultRow picks for a selected field (SQL's `decoder` is internal). */
function decoderOf(field: unknown): TDecoder {
  if (is(field, Column)) return field;
  const withDecoder = (f: unknown) => (f as { decoder: TDecoder }).decoder;
  if (is(field, SQL)) return withDecoder(field);
  if (is(field, Subquery)) return withDecoder(field._.sql);
  return withDecoder((field as { sql: unknown }).sql);
}

/**
 * drizzle maps each row by walking its fields again — which kind of field, which decoder, the
 * path into nested objects — for every column of every row (a third of a runs page's JavaScript).
 * This works that out once per statement and gives drizzle a mapper that does what its own
 * `mapResultRow` does (same decoders, same nesting, a left-joined object null when its first
 * column is), so rows come out identical (list-queries.integration.test.ts compares the two).
 */
export function withCompiledRowMapper<Q>(query: Q): Q {
  const q = query as TPreparedSelect;
  if (!Array.isArray(q.fields) || q.customResultMapper) return query;
  const notNullable = q.joinsNotNullableMap;
  const columns = q.fields.map(({ path, field }) => ({
    parents: path.slice(0, -1),
    key: path[path.length - 1]!,
    object: path[0]!,
    decoder: decoderOf(field),
    // A column of a joined table one level down: whether it nulls its object (drizzle's nullifyMap).
    table: notNullable && is(field, Column) && path.length === 2 ? getTableName(field.table) : null,
  }));
  const mapRow = (row: unknown[]) => {
    const result: Record<string, unknown> = {};
    const nullify: Record<string, string | false> = {};
    for (let i = 0; i < columns.length; i++) {
      const c = columns[i]!;
      let node = result;
      for (const part of c.parents) node = (node[part] ??= {}) as Record<string, unknown>;
      const raw = row[i];
      const value = (node[c.key] = raw === null ? null : c.decoder.mapFromDriverValue(raw));
      if (c.table !== null) {
        const seen = nullify[c.object];
        if (seen === undefined) nullify[c.object] = value === null ? c.table : false;
        else if (typeof seen === "string" && seen !== c.table) nullify[c.object] = false;
      }
    }
    if (notNullable) {
      for (const object in nullify) {
        const table = nullify[object];
        if (typeof table === "string" && !notNullable[table]) result[object] = null;
      }
    }
    return result;
  };
  q.customResultMapper = (rows) => rows.map(mapRow);
  return query;
}

/** The placeholder for a value filled in at each call (`execute({ [name]: value })`). */
export function slot(name: string): Placeholder {
  return sql.placeholder(name);
}
