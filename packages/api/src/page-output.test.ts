import { describe, expect, it } from "vitest";
import { z } from "zod";
import { pageOutput, withCursor } from "./paging";
import { ZRunOut } from "./router/shapes";

const run = (i: number) => ({
  id: `run-${i}`,
  status: "SUCCEEDED",
  secretsState: "DELETED",
  pipelineId: null,
  pipelineName: "p",
  repository: "https://example.test/p",
  revision: null,
  computeEnvId: null,
  computeEnvName: "ce",
  computeEnvKind: "local",
  cloudHead: null,
  params: { n: 1 },
  secretNames: [],
  personalSecretCount: 0,
  launcher: null,
  exitCode: 0,
  errorMessage: null,
  cancelRequested: false,
  progress: {},
  submittedAt: new Date(Date.UTC(2026, 10, 30, 6, 0, i)),
  provisionedAt: null,
  startedAt: null,
  finishedAt: null,
  secretsDeletedAt: null,
  deadlineAt: new Date(Date.UTC(2026, 11, 1)),
  cleanupAttempts: 0,
  lastCleanupError: null,
  redaction: null,
  cursor: `c${i}`,
  extra: "not in the schema",
});

describe("pageOutput", () => {
  const fast = pageOutput(withCursor(ZRunOut));
  const plain = z.array(withCursor(ZRunOut));

  it("answers what the schema's own asynchronous parse answers (dates as ISO strings, unknown keys dropped)", async () => {
    const rows = [run(1), run(2)];
    const out = await fast.parseAsync(rows);
    expect(out).toEqual(await plain.parseAsync(rows));
    expect(out[0]!.submittedAt).toBe("2026-11-30T06:00:01.000Z");
    expect(out[0]).not.toHaveProperty("extra");
  });

  it("refuses a row the schema refuses, with the same issues", async () => {
    const bad = [{ ...run(1), status: "EXPLODED" }];
    const expected = await plain.parseAsync(bad).catch((e: unknown) => e);
    const actual = await fast.parseAsync(bad).catch((e: unknown) => e);
    expect(actual).toBeInstanceOf(z.ZodError);
    expect((actual as z.ZodError).issues).toEqual((expected as z.ZodError).issues);
  });

  it("still runs an asynchronous refinement (which parse cannot)", async () => {
    const row = z.object({ id: z.string() }).refine(async (r) => Promise.resolve(r.id !== "no"), "refused");
    const schema = pageOutput(row);
    expect(() => schema.parse([{ id: "x" }])).toThrow(); // the synchronous parse alone cannot
    await expect(schema.parseAsync([{ id: "x" }])).resolves.toEqual([{ id: "x" }]);
    await expect(schema.parseAsync([{ id: "no" }])).rejects.toBeInstanceOf(z.ZodError);
  });

  it("is the same schema for JSON Schema (what the OpenAPI document and the output-field test read)", () => {
    expect(z.toJSONSchema(fast, { io: "output" })).toEqual(z.toJSONSchema(plain, { io: "output" }));
  });
});
