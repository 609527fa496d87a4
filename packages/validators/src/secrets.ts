import { z } from "zod";
import { ZId } from "./identity";
import "./messages";

/**
 * Nextflow's own rule for secret names (SecretsHelper): a letter or underscore, then 1–49 tokens of
 * alphanumerics or single underscores; never a leading `__`. Seqera's API caps the length at 100.
 * A name accepted here is accepted by Nextflow.
 */
export const NEXTFLOW_SECRET_NAME = /^[a-zA-Z_](?:[0-9A-Za-z]+|(_)(?!\1)){1,49}$/;
export const SECRET_NAME_MAX = 100;
export const SECRET_VALUE_MAX_BYTES = 65_536;

export function secretNameProblem(name: string): string | null {
  if (name.length < 2) return "must be at least 2 characters";
  if (name.length > SECRET_NAME_MAX) return `must be at most ${SECRET_NAME_MAX} characters`;
  if (/^[0-9]/.test(name)) return "must start with a letter or an underscore, not a digit";
  if (name.startsWith("__")) return "must not start with two underscores";
  if (/[^0-9A-Za-z_]/.test(name))
    return "may contain only letters, digits and single underscores (no '-', spaces or dots)";
  if (name.includes("__")) return "must not contain two underscores in a row";
  if (!NEXTFLOW_SECRET_NAME.test(name)) return "is too long for Nextflow's name rule (at most 49 letter/digit runs)";
  return null;
}

export const ZSecretName = z.string().superRefine((name, ctx) => {
  const problem = secretNameProblem(name);
  if (problem) ctx.addIssue({ code: "custom", message: `Secret name ${problem}.` });
});

/** The first character Nextflow's secrets sidecar cannot carry intact into a task (nextflow #6073, #4977). */
function firstUndeliverable(value: string): string | null {
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (code < 0x20 || code === 0x7f || ch === '"' || ch === "`" || ch === "\\") return ch;
  }
  return null;
}

export function secretValueProblem(value: string): string | null {
  const bytes = new TextEncoder().encode(value).length;
  if (bytes === 0) return "must not be empty";
  if (bytes > SECRET_VALUE_MAX_BYTES) {
    return `is ${bytes.toLocaleString("en")} bytes; the limit is ${SECRET_VALUE_MAX_BYTES.toLocaleString("en")} bytes (64 KiB, the cloud secret stores' limit)`;
  }
  const ch = firstUndeliverable(value);
  if (ch !== null) {
    const what =
      ch === "\n" || ch === "\r"
        ? "a line break"
        : ch === '"'
          ? 'a double quote (")'
          : ch === "`"
            ? "a backtick (`)"
            : ch === "\\"
              ? "a backslash (\\)"
              : `a control character (U+${ch.charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")})`;
    return `contains ${what}, which Nextflow cannot deliver intact to a task; encode the value as base64 and decode it in the pipeline`;
  }
  return null;
}

export const ZSecretValue = z.string().superRefine((value, ctx) => {
  const problem = secretValueProblem(value);
  // The message names the rule, never the value.
  if (problem) ctx.addIssue({ code: "custom", message: `Secret value ${problem}.` });
});

// ── What the secrets procedures take (workspace and personal secrets alike) ──────────────────

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

/** One page of a secret's write history, newest first. */
export const ZHistoryInput = z.object({
  secretId: ZId,
  limit: z.number().int().min(1).max(100).default(20),
  /** The `nextCursor` of the previous page: versions below it. */
  cursor: z.number().int().min(1).optional(),
});
