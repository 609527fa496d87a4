import superjson from "superjson";

/**
 * superjson on the wire (the web client's transformer), without its walk when there is nothing
 * for it to do (issue #15). superjson copies every value while recording paths, type annotations
 * and shared references; for an answer that is plain JSON already — strings, finite numbers,
 * booleans, null, arrays and plain objects, each object reached once — it returns `{ json: value }`
 * and no `meta`. Every procedure's output is such a value (dates leave as ISO strings: see
 * router/shapes.ts), so one cheap check of the same rules answers the same bytes, and anything
 * else (a Date, undefined, NaN, -0, a Map, a shared or circular object, a key superjson refuses)
 * goes through superjson itself, unchanged.
 */
export const apiTransformer = {
  serialize(value: unknown): unknown {
    return isPlainJson(value, new Set()) ? { json: value } : superjson.serialize(value);
  },
  deserialize(payload: unknown): unknown {
    return superjson.deserialize(payload as Parameters<typeof superjson.deserialize>[0]);
  },
};

/** Keys superjson throws on (prototype pollution); left to superjson so the error is the same. */
const REFUSED_KEYS = new Set(["__proto__", "constructor", "prototype"]);

function isPlainJson(value: unknown, seen: Set<object>): boolean {
  switch (typeof value) {
    case "string":
    case "boolean":
      return true;
    case "number":
      // NaN, ±Infinity and -0 get superjson annotations.
      return Number.isFinite(value) && !Object.is(value, -0);
    case "object": {
      if (value === null) return true;
      // superjson records an object reached twice (referential equality) in meta.
      if (seen.has(value)) return false;
      seen.add(value);
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) {
          // A hole reads as undefined: superjson skips it, so let it.
          if (!(i in value) || !isPlainJson(value[i], seen)) return false;
        }
        return true;
      }
      const proto = Object.getPrototypeOf(value) as unknown;
      if (proto !== Object.prototype && proto !== null) return false;
      for (const key of Object.keys(value)) {
        if (REFUSED_KEYS.has(key) || !isPlainJson((value as Record<string, unknown>)[key], seen)) return false;
      }
      return true;
    }
    default:
      // undefined, bigint, symbol, function: superjson's business.
      return false;
  }
}
