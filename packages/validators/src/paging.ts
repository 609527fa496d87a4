import { z } from "zod";

/**
 * Keyset paging, the same for every list. A cursor names the row a page ended on by its sort key
 * and id: the next page starts strictly after that pair, so rows that share a sort key (two runs
 * submitted in the same microsecond, or in the same millisecond as a JS Date sees it) are neither
 * skipped nor repeated. Timestamps travel as Postgres' own text at microsecond precision, never
 * through a JS Date (milliseconds). The cursor is opaque to clients: base64url of JSON.
 */
export const PAGE_DEFAULT = 50;
export const PAGE_MAX = 200;

export type TCursor = { sort: string; key: string; id: string };

// Node's Buffer where there is one (the API writes a cursor per row of every page); the browser's btoa otherwise.
const NodeBuffer = (
  globalThis as { Buffer?: { from(text: string, encoding: "utf8"): { toString(encoding: "base64url"): string } } }
).Buffer;

function toBase64Url(text: string): string {
  // Buffer's base64url has no padding, like the portable path below.
  if (NodeBuffer) return NodeBuffer.from(text, "utf8").toString("base64url");
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): string {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
}

export function encodeCursor(cursor: TCursor): string {
  return toBase64Url(JSON.stringify([cursor.sort, cursor.key, cursor.id]));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The cursor, or null when the text is not one this API issued. */
export function decodeCursor(text: string): TCursor | null {
  try {
    const parsed: unknown = JSON.parse(fromBase64Url(text));
    if (!Array.isArray(parsed) || parsed.length !== 3) return null;
    const [sort, key, id] = parsed as unknown[];
    if (typeof sort !== "string" || typeof key !== "string" || typeof id !== "string" || !UUID.test(id)) return null;
    return { sort, key, id };
  } catch {
    return null;
  }
}

const CURSOR_HELP = "Not a cursor from this list: pass the `cursor` of the last row of the previous page, unchanged.";

export const ZCursorText = z
  .string()
  .max(1000, "Must be at most 1,000 characters.")
  .refine((t) => decodeCursor(t) !== null, CURSOR_HELP);

/**
 * Paging input every list takes. `limit` is bounded so one request cannot ask for a whole table;
 * `search` filters on the server (case-insensitive, part of the name). A cursor from another sort
 * order is refused by the procedure, naming the sort it belongs to.
 */
export const ZPageInput = z.object({
  limit: z
    .number()
    .int("Must be a whole number.")
    .min(1, "Must be at least 1.")
    .max(PAGE_MAX, `Must be at most ${PAGE_MAX} (ask for the next page with cursor).`)
    .default(PAGE_DEFAULT),
  cursor: ZCursorText.nullish(),
  search: z.string().max(200, "Must be at most 200 characters.").optional(),
});
export type TPageInput = z.infer<typeof ZPageInput>;

/** Escapes LIKE's wildcards so a search for `A_B` finds that text, not "A, any character, B". */
export function likePattern(search: string): string {
  return `%${search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
