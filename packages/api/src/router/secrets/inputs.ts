import { z } from "zod";
import { ZId, ZSecretName, ZSecretValue } from "@lockstep/validators";

/**
 * A value arrives sealed by the client (preferred: the plaintext never reaches the server) or
 * plain, to be sealed on arrival. Sealed envelopes are at most ~88 KiB of base64url.
 */
export const ZValueInput = z.union([
  z.strictObject({ sealed: z.string().min(1).max(100_000, "value: the sealed value is too long") }),
  z.strictObject({ plain: ZSecretValue }),
]);

export const ZImportInput = z.object({
  entries: z
    .array(z.object({ line: z.number().int().min(1), name: z.string().max(200), value: ZValueInput }))
    .min(1, "Nothing to import: paste at least one NAME=value line.")
    .max(500, "Import at most 500 secrets at once."),
  overwrite: z.boolean().default(false),
});

export { ZSecretName };

/** One page of a secret's write history, newest first. */
export const ZHistoryInput = z.object({
  secretId: ZId,
  limit: z.number().int().min(1).max(100).default(20),
  /** The `nextCursor` of the previous page: versions below it. */
  cursor: z.number().int().min(1).optional(),
});
