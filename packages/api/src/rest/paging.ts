/** An answer the REST layer gives itself (bad cursor, Seqera's validate statuses), with the error body's fields. */
export class RestProblem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields?: Record<string, string>,
  ) {
    super(message);
    this.name = "RestProblem";
  }
}

export function restProblem(status: number, code: string, message: string, fields?: Record<string, string>) {
  return new RestProblem(status, code, message, fields);
}

/**
 * Cursor paging over a list a procedure returns whole, in its own stable order: the cursor is the
 * id of the last item of the previous page. A thin adapter: when the procedure pages itself
 * (cursor + limit), the route passes both through instead and keeps this answer's shape.
 */
export function cursorPage<T extends { id: string }>(
  all: readonly T[],
  cursor: string | undefined,
  limit: number,
): { items: T[]; nextCursor: string | null } {
  let start = 0;
  if (cursor !== undefined) {
    const at = all.findIndex((item) => item.id === cursor);
    if (at < 0)
      throw restProblem(
        400,
        "BAD_REQUEST",
        "cursor: not a cursor this list gave (or its item is gone); start again without it.",
        { cursor: "not a cursor this list gave" },
      );
    start = at + 1;
  }
  const items = all.slice(start, start + limit);
  return { items, nextCursor: start + limit < all.length ? items.at(-1)!.id : null };
}
