import { z } from "zod";
import type { TPage } from "@lockstep/db";
import { decodeCursor, encodeCursor, ZPageInput, type TPageInput } from "@lockstep/validators";
import { AppError } from "./errors";

export { ZPageInput };

/**
 * Every list answers one page: rows in a fixed order, each with the opaque `cursor` to pass back
 * for the rows after it. A page shorter than `limit` is the last one.
 */
export function withCursor<S extends z.ZodRawShape>(row: z.ZodObject<S>) {
  return row.extend({
    /** Pass as `cursor` to get the rows after this one (same sort and search). */
    cursor: z.string(),
  });
}

/**
 * A list's output schema: an array of its rows (each `withCursor`). tRPC checks an output with
 * `parseAsync`, which in zod 4 leaves out the compiled fast path for objects: a page of 50 runs
 * took 0.44 ms that way against 0.09 ms with `parse` (issue #15). The schema is the same, so is the
 * answer and so is a refusal (a ZodError); a schema with an asynchronous refinement, which `parse`
 * cannot run, still gets the asynchronous parse.
 */
export function pageOutput<R extends z.ZodType>(row: R): z.ZodArray<R> {
  const schema = z.array(row);
  const parseAsync = schema.parseAsync.bind(schema);
  schema.parseAsync = ((data: unknown, params?: z.core.ParseContext<z.core.$ZodIssue>) => {
    try {
      return Promise.resolve(schema.parse(data, params));
    } catch (error) {
      if (error instanceof z.core.$ZodAsyncError) return parseAsync(data, params);
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }) as typeof schema.parseAsync;
  return schema;
}

/** The previous page's last (key, id) for the query; a cursor of another sort order is refused by name. */
export function pageOf(input: TPageInput, sort = "default"): TPage {
  const cursor = input.cursor ? decodeCursor(input.cursor) : null;
  if (input.cursor && !cursor)
    throw new AppError(
      "INVALID",
      "cursor: Not a cursor from this list: pass the `cursor` of the last row of the previous page, unchanged.",
    );
  if (cursor && cursor.sort !== sort) {
    throw new AppError(
      "INVALID",
      `cursor: This cursor belongs to the "${cursor.sort}" order, not "${sort}": start again without a cursor when you change the sort.`,
    );
  }
  return {
    limit: input.limit,
    after: cursor ? { key: cursor.key, id: cursor.id } : null,
    search: input.search?.trim() || null,
  };
}

/** Gives each row its cursor (from the sort key the query selected beside it) and drops the key. */
export function cursored<R extends { cursorKey: string }>(
  rows: R[],
  sort: string,
  idOf: (row: R) => string,
): Array<Omit<R, "cursorKey"> & { cursor: string }> {
  return rows.map((row) => {
    // One copy per row (a page is 50 to 200 rows): the id is read from the row as it came.
    const cursor = encodeCursor({ sort, key: row.cursorKey, id: idOf(row) });
    const { cursorKey: _key, ...rest } = row;
    return { ...rest, cursor };
  });
}
