/**
 * RFC 4180 CSV: fields with a comma, quote or line break are quoted, quotes doubled, rows end in
 * CRLF. A field a spreadsheet would read as a formula (=, +, -, @, tab, CR first) gets a leading
 * apostrophe: user agents and emails come from clients, and an export must not run their code.
 */
export function csvField(value: string | number | null | undefined): string {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(fields: Array<string | number | null | undefined>): string {
  return `${fields.map(csvField).join(",")}\r\n`;
}

export const AUDIT_CSV_COLUMNS = [
  "time",
  "actor_email",
  "action",
  "target_type",
  "target_name",
  "run_id",
  "ip",
  "user_agent",
  "detail",
] as const;

type TAuditEventLike = {
  at: string;
  actorEmail: string | null;
  action: string;
  targetType: string;
  targetName: string | null;
  runId: string | null;
  ip: string | null;
  userAgent: string | null;
  detail: Record<string, unknown>;
};

/** One audit event as a CSV row. Audit events hold no values, so neither does the export. */
export function auditCsvRow(e: TAuditEventLike): string {
  const detail = Object.keys(e.detail).length > 0 ? JSON.stringify(e.detail) : "";
  return csvRow([e.at, e.actorEmail, e.action, e.targetType, e.targetName, e.runId, e.ip, e.userAgent, detail]);
}
