import { describe, expect, it } from "vitest";
import { cursorPage, RestProblem } from "./paging";

const items = ["a", "b", "c", "d", "e"].map((id) => ({ id }));

describe("cursorPage", () => {
  it("walks a list page by page with the last id as cursor, each item once", () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = cursorPage(items, cursor, 2);
      seen.push(...page.items.map((i) => i.id));
      cursor = page.nextCursor ?? undefined;
      pages++;
    } while (cursor);
    expect(seen).toEqual(["a", "b", "c", "d", "e"]);
    expect(pages).toBe(3);
  });

  it("says there is no next page when the last page is exactly full", () => {
    expect(cursorPage(items, "c", 2)).toEqual({ items: [{ id: "d" }, { id: "e" }], nextCursor: null });
  });

  it("refuses a cursor it did not give, naming the field", () => {
    expect(() => cursorPage(items, "zzz", 2)).toThrow(RestProblem);
    try {
      cursorPage(items, "zzz", 2);
    } catch (error) {
      expect((error as RestProblem).fields).toEqual({ cursor: "not a cursor this list gave" });
      expect((error as RestProblem).status).toBe(400);
    }
  });
});
