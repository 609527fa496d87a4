import { z } from "zod";

/**
 * Which secrets a pipeline's sources ask for (packages/launcher's scanner fills this in), stored on
 * the pipeline and shown before launch. Names and file paths only, never any other file content.
 */
export const ZSecretUse = z.enum(["process", "config", "script"]);
export type TSecretUse = z.infer<typeof ZSecretUse>;

export const ZSecretNeed = z.object({ name: z.string(), uses: z.array(ZSecretUse), files: z.array(z.string()) });
export type TSecretNeed = z.infer<typeof ZSecretNeed>;

export const ZPipelineSecretNeeds = z.discriminatedUnion("status", [
  z.object({
    status: z.literal("known"),
    needs: z.array(ZSecretNeed),
    /** Names marked `// lockstep: optional NAME` in the sources: a run may go without them. */
    optional: z.array(z.string()),
    /** What the scanner could not settle (a computed name, an invalid directive): `file:line: why`. */
    problems: z.array(z.string()),
    /** sha256 over every scanned file's path and content: which source the names came from. */
    fingerprint: z.string(),
    files: z.number(),
    scannedAt: z.string(),
  }),
  z.object({ status: z.literal("unknown"), reason: z.string(), scannedAt: z.string() }),
]);
export type TPipelineSecretNeeds = z.infer<typeof ZPipelineSecretNeeds>;

/** Required names: every need not marked optional. */
export function requiredNeeds(needs: TPipelineSecretNeeds): string[] {
  if (needs.status !== "known") return [];
  const opt = new Set(needs.optional);
  return needs.needs.map((n) => n.name).filter((n) => !opt.has(n));
}

/** "needs DB_PASSWORD, API_TOKEN (config: AWS_KEY)": names used by processes/scripts first, config-only ones in brackets. */
export function describeNeeds(needs: TPipelineSecretNeeds): string {
  if (needs.status === "unknown") return `secrets needed: unknown until launch (${needs.reason})`;
  const unknown =
    needs.problems.length === 0
      ? ""
      : `; ${needs.problems.length === 1 ? "1 place" : `${needs.problems.length} places`} in the sources Lockstep cannot read before the run`;
  if (needs.needs.length === 0) return `needs no secrets${unknown}`;
  const opt = new Set(needs.optional);
  const label = (n: TSecretNeed) => (opt.has(n.name) ? `${n.name} (optional)` : n.name);
  const code = needs.needs.filter((n) => n.uses.some((u) => u !== "config")).map(label);
  const config = needs.needs.filter((n) => n.uses.every((u) => u === "config")).map(label);
  return `needs ${[code.join(", "), config.length > 0 ? `(config: ${config.join(", ")})` : ""].filter(Boolean).join(" ")}${unknown}`;
}
