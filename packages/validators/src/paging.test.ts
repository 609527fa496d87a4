import { describe, expect, it } from "vitest";
import { decodeCursor, encodeCursor, likePattern, ZPageInput } from "./paging";

describe("paging", () => {
  it("round-trips a cursor, microseconds and non-ASCII keys included", () => {
    const c = { sort: "name", key: "Pipeline — ünïcode", id: "0a2b0c3d-1111-4222-8333-444455556666" };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    const t = { sort: "submitted", key: "2026-11-30T12:00:00.123456Z", id: c.id };
    expect(decodeCursor(encodeCursor(t))).toEqual(t);
  });

  it("writes the same cursor text as the browser's btoa path (Buffer on the server)", () => {
    const portable = (text: string) =>
      btoa(String.fromCharCode(...new TextEncoder().encode(text)))
        .replace(/\+/g, "-")
        .replace(/\//g, "_")
        .replace(/=+$/, "");
    // Keys whose base64 needs padding, "+" and "/" (bytes 0xfb, 0xff), and non-ASCII text.
    for (const key of ["a", "ab", "abc", "Zürich ✓ ~~~>>>???", "2026-11-30T06:42:13.123456Z", "ÿûÿ"]) {
      const c = { sort: "name", key, id: "00000000-0000-4000-8000-000000000001" };
      expect(encodeCursor(c)).toBe(portable(JSON.stringify([c.sort, c.key, c.id])));
      expect(decodeCursor(encodeCursor(c))).toEqual(c);
    }
  });

  it("refuses text that is not a cursor", () => {
    expect(decodeCursor("nope")).toBeNull();
    expect(decodeCursor(encodeCursor({ sort: "name", key: "x", id: "not-a-uuid" }))).toBeNull();
    const r = ZPageInput.safeParse({ cursor: "garbage" });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toMatch(/Not a cursor from this list/);
  });

  it("bounds the page size with a clear message", () => {
    expect(ZPageInput.parse({}).limit).toBe(50);
    expect(ZPageInput.safeParse({ limit: 201 }).error?.issues[0]).toMatchObject({
      path: ["limit"],
      message: expect.stringMatching(/at most 200/),
    });
    expect(ZPageInput.safeParse({ limit: 0 }).error?.issues[0]).toMatchObject({
      path: ["limit"],
      message: "Must be at least 1.",
    });
  });

  it("escapes LIKE wildcards", () => {
    expect(likePattern("A_B%")).toBe("%A\\_B\\%%");
  });
});
