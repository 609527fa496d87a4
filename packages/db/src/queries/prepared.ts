import { is, sql, type Placeholder } from "drizzle-orm";
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
  if (!query) byShape.set(shape, (query = build(db, shape)));
  return query;
}

/** The placeholder for a value filled in at each call (`execute({ [name]: value })`). */
export function slot(name: string): Placeholder {
  return sql.placeholder(name);
}
