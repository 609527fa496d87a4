import superjson from "superjson";
import { describe, expect, it } from "vitest";
import { apiTransformer } from "./transformer";

const wire = (value: unknown) => JSON.stringify(apiTransformer.serialize(value));
const viaSuperjson = (value: unknown) => JSON.stringify(superjson.serialize(value));

const shared = { id: "x" };
const circular: Record<string, unknown> = { a: 1 };
circular.self = circular;
const nullProto = Object.assign(Object.create(null) as object, { a: 1 });
// eslint-disable-next-line no-sparse-arrays
const sparse = [1, , 3];

describe("apiTransformer", () => {
  // Plain JSON takes the fast path; everything superjson annotates must still be annotated.
  const cases: Array<[string, unknown, "fast" | "superjson"]> = [
    ["a page of rows", [{ id: "a", n: 1, ok: true, at: "2026-11-30T00:00:00.000Z", by: null, tags: ["x"] }], "fast"],
    ["a string", "text", "fast"],
    ["null", null, "fast"],
    ["an empty object", {}, "fast"],
    ["nested arrays", [[1, 2], [3], []], "fast"],
    ["a null-prototype object", nullProto, "fast"],
    ["equal but distinct objects", [{ id: "x" }, { id: "x" }], "fast"],
    ["a Date", { at: new Date("2026-11-30T00:00:00Z") }, "superjson"],
    ["undefined at the top", undefined, "superjson"],
    ["an undefined field", { a: undefined, b: 1 }, "superjson"],
    ["NaN", { n: NaN }, "superjson"],
    ["Infinity", [Infinity], "superjson"],
    ["-0", { z: -0 }, "superjson"],
    ["a bigint", { b: 10n }, "superjson"],
    ["a Map", new Map([["k", 1]]), "superjson"],
    ["a Set inside", { s: new Set([1]) }, "superjson"],
    ["one object twice", [shared, shared], "superjson"],
    ["a circular object", circular, "superjson"],
    ["a sparse array", sparse, "superjson"],
    ["a class instance", { e: new Error("boom") }, "superjson"],
  ];

  for (const [name, value, path] of cases) {
    it(`answers ${name} exactly as superjson does (${path})`, () => {
      expect(wire(value)).toBe(viaSuperjson(value));
      // The fast path hands the value itself over (no copy, no meta); the rest is superjson's own answer.
      const out = apiTransformer.serialize(value) as { json: unknown; meta?: unknown };
      if (path === "fast") {
        expect(out.json).toBe(value);
        expect(out).not.toHaveProperty("meta");
      } else {
        expect(out).toEqual(superjson.serialize(value));
      }
    });
  }

  it("refuses a __proto__ key as superjson does", () => {
    const hostile = JSON.parse('{"__proto__": {"polluted": true}}') as unknown;
    expect(() => superjson.serialize(hostile)).toThrow(/prototype pollution/);
    expect(() => apiTransformer.serialize(hostile)).toThrow(/prototype pollution/);
  });

  it("reads back what it writes, and what superjson writes", () => {
    const value = { at: new Date("2026-11-30T00:00:00Z"), rows: [{ id: "a" }], gone: undefined };
    expect(apiTransformer.deserialize(apiTransformer.serialize(value))).toEqual(value);
    expect(apiTransformer.deserialize(superjson.serialize(value))).toEqual(value);
  });
});
