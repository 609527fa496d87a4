import { TRPCClientError } from "@trpc/client";
import { fieldErrorsOf } from "../errors";

/**
 * Server errors keyed by the form field they belong to. Validation errors name a path under the
 * input object (`computeEnv.workDir`, `computeEnv.config.sbatchOptions.1`, `pipeline.defaultParams.x`);
 * the field is the first segment after `prefix`, and a deeper segment is kept in the message so the
 * user can find the line (`Line 2: …`, `x: …`). Domain errors that name a field ("computeEnvId: …")
 * (as a path too: "computeEnv.config.credentialId: …") and name conflicts land on their field;
 * anything else stays under "form".
 */
export function formErrorsOf(error: unknown, prefix?: string, conflictField = "name"): Record<string, string> {
  if (error instanceof TRPCClientError && (error.data as { code?: string } | undefined)?.code === "CONFLICT") {
    return { [conflictField]: error.message };
  }
  const raw = fieldErrorsOf(error);
  const out: Record<string, string> = {};
  for (const [path, message] of Object.entries(raw)) placeOn(out, path, message, prefix);
  if (out.form) {
    // Domain errors name their field at the start, as a path like validation errors do.
    const named = /^([A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*): (.+)$/.exec(out.form);
    if (named) {
      delete out.form;
      placeOn(out, named[1]!, named[2]!, prefix);
    }
  }
  return out;
}

function placeOn(out: Record<string, string>, path: string, message: string, prefix: string | undefined) {
  const segments = (prefix && path.startsWith(`${prefix}.`) ? path.slice(prefix.length + 1) : path).split(".");
  // `config` only groups per-kind settings: its children are the fields.
  if (segments[0] === "config" && segments.length > 1) segments.shift();
  const [field, detail] = segments;
  if (!field) return;
  const text =
    detail === undefined
      ? message
      : /^\d+$/.test(detail)
        ? `Line ${Number(detail) + 1}: ${message}`
        : message.includes(detail)
          ? message
          : `${detail}: ${message}`;
  // The first message per field is the one to fix first.
  out[field] ??= text;
}

/** Messages for fields the form does not show (or the whole form), so none is silently lost. */
export function otherErrors(errors: Record<string, string>, shown: readonly string[]): string[] {
  return Object.entries(errors)
    .filter(([field]) => !shown.includes(field))
    .map(([field, message]) => (field === "form" || field === "input" ? message : `${field}: ${message}`));
}
