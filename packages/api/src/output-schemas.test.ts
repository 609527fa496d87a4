import { describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "./root";
import { ZIsoDate } from "./router/shapes";

// Field names that would carry a secret value, its ciphertext or other key material.
const FORBIDDEN =
  /^(value|values|plain|plaintext|sealed|sealedValue|ciphertext|envelope|secretValue|password|passwordHash|tokenHash|privateKey|privateKeys)$/i;

function propertyNames(schema: unknown, out = new Set<string>()): Set<string> {
  if (!schema || typeof schema !== "object") return out;
  const node = schema as Record<string, unknown>;
  if (node.properties && typeof node.properties === "object") {
    for (const [name, child] of Object.entries(node.properties as Record<string, unknown>)) {
      out.add(name);
      propertyNames(child, out);
    }
  }
  for (const key of ["items", "additionalProperties", "anyOf", "oneOf", "allOf", "prefixItems"]) {
    const child = node[key];
    if (Array.isArray(child)) child.forEach((c) => propertyNames(c, out));
    else if (child) propertyNames(child, out);
  }
  return out;
}

type TProcedures = Record<string, { _def: { output?: z.ZodType; type: string; meta?: { events?: z.ZodType } } }>;
/** What a procedure answers: its output schema, or for a subscription the schema of each event. */
const answerOf = (p: TProcedures[string]) => (p._def.type === "subscription" ? p._def.meta?.events : p._def.output);
const all = appRouter._def.procedures as unknown as TProcedures;

describe("no procedure can answer with a secret value", () => {
  const procedures = Object.entries(all);

  it("every procedure declares an output schema", () => {
    const missing = procedures.filter(([, p]) => !answerOf(p)).map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it.each(procedures.map(([path]) => path))("%s has no value, ciphertext or key field", (path) => {
    const output = answerOf(all[path]!)!;
    const names = propertyNames(z.toJSONSchema(output, { unrepresentable: "any", io: "output" }));
    expect(names.size).toBeGreaterThan(0);
    expect([...names].filter((n) => FORBIDDEN.test(n))).toEqual([]);
  });

  it("the walker finds a forbidden field when one is there", () => {
    const leaky = z.object({ items: z.array(z.object({ name: z.string(), value: z.string() })) });
    expect([...propertyNames(z.toJSONSchema(leaky))].filter((n) => FORBIDDEN.test(n))).toEqual(["value"]);
  });
});

describe("a date leaves as the ISO string, whether it came as a Date or as list text (ZIsoDate)", () => {
  it("a Date and the text Postgres makes for a list page give the same string", () => {
    const at = new Date("2026-12-31T23:59:59.999Z");
    expect(ZIsoDate.parse(at)).toBe("2026-12-31T23:59:59.999Z");
    expect(ZIsoDate.parse("2026-12-31T23:59:59.999Z")).toBe(at.toISOString());
  });

  it.each(["2026-12-31 23:59:59.999999+00", "2026-12-31T23:59:59Z", "2026-12-31T23:59:59.999999Z", "yesterday", ""])(
    "refuses text of another form (%j): a date selected the wrong way cannot leave as it is",
    (text) => {
      expect(ZIsoDate.safeParse(text).success).toBe(false);
    },
  );

  it("OpenAPI describes it as a string, as before", () => {
    expect(z.toJSONSchema(ZIsoDate, { io: "output" })).toMatchObject({ type: "string" });
  });
});
