import type { TReceipt } from "./receipts";

/**
 * The deletion receipt as CSV (RFC 4180, CRLF): one row per copy written, each row carrying the
 * run's facts too, so a committee's spreadsheet filters and sorts without joining anything. Built
 * from the same record as the JSON export (`runs.receipt`), so the two never disagree. Locations
 * and times only: a receipt holds no value, nor does this.
 */
export const RECEIPT_CSV_COLUMNS = [
  "run_id",
  "pipeline",
  "compute_environment",
  "provider",
  "store",
  "location",
  "written_at",
  "gone_at",
  "verified_by",
  "deletion_verified",
  "deletion_method",
  "cleanup_attempts",
  "last_cleanup_error",
  "sidecars",
  "secrets",
  "personal_secret_count",
  "redacted_occurrences",
  "redacted_files",
  "scanned_files",
  "redacted_at",
  "secrets_state",
  "generated_at",
] as const;

/** A field a spreadsheet would read as a formula gets a leading apostrophe; quotes as RFC 4180 says. */
function field(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const row = (fields: Array<string | number | boolean | null | undefined>) => `${fields.map(field).join(",")}\r\n`;

export function receiptCsv(r: TReceipt): string {
  const names = [...r.secrets.map((s) => `${s.name} (${s.source})`)].join("; ");
  const shared = (copy: TReceipt["copies"][number] | null) => [
    r.runId,
    r.pipelineName,
    r.computeEnvName,
    r.provider,
    r.store,
    copy?.location ?? null,
    copy?.writtenAt ?? null,
    copy?.goneAt ?? null,
    copy?.verifiedBy ?? null,
    r.deletion.verified,
    r.deletion.method,
    r.deletion.attempts,
    r.deletion.lastError,
    r.sidecars,
    names,
    r.personalSecretCount,
    r.redaction?.occurrences ?? null,
    r.redaction?.files ?? null,
    r.redaction?.scannedFiles ?? null,
    r.redaction?.at ?? null,
    r.secretsState,
    r.generatedAt,
  ];
  const copies = r.copies.length > 0 ? r.copies : [null];
  return row([...RECEIPT_CSV_COLUMNS]) + copies.map((c) => row(shared(c))).join("");
}
