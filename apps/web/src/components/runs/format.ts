/** Formatting and parsing shared by the run pages. Client-side: dates use the browser's clock and locale. */

import { isSecretsSettled, isTerminalRunStatus, type TRunStatus, type TSecretsState } from "@lockstep/validators";

export type { TRunStatus, TSecretsState };
export { isSecretsSettled };
export type TParamValue = string | number | boolean;

export const isTerminal = isTerminalRunStatus;

/** A run needs watching until it has ended and its secrets are gone (or their deletion gave up). */
export const isLive = (run: { status: TRunStatus; secretsState: TSecretsState }) =>
  !isTerminal(run.status) || !isSecretsSettled(run.secretsState);

export const formatDateTime = (date: Date | string) =>
  new Date(date).toLocaleString("en", { dateStyle: "medium", timeStyle: "medium" });

/** "850 ms", "12 s", "3 min 4 s", "2 h 5 min", "3 d 4 h": two units at most, enough to compare runs. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return "—";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m} min ${s % 60} s` : `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
  const d = Math.floor(h / 24);
  return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
}

/** A run's duration: from start (or submission, before it starts) to its end, or to `now` while it goes on. */
export function runDuration(
  run: { submittedAt: string; startedAt: string | null; finishedAt: string | null },
  now: number,
): string {
  const from = run.startedAt ?? run.submittedAt;
  const to = run.finishedAt ? Date.parse(run.finishedAt) : now;
  return formatDuration(to - Date.parse(from));
}

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

// ── Maximum run time, entered as a number and a unit ─────────────────────────────────────────
export const TIME_UNITS = [
  { id: "minutes", label: "minutes", seconds: 60 },
  { id: "hours", label: "hours", seconds: 3600 },
  { id: "days", label: "days", seconds: 86_400 },
] as const;
export type TTimeUnit = (typeof TIME_UNITS)[number]["id"];

/** The largest unit that divides `seconds` exactly, so 86400 reads "1 day" and 5400 "90 minutes". */
export function splitSeconds(seconds: number): { amount: number; unit: TTimeUnit } {
  for (const u of [...TIME_UNITS].reverse()) {
    if (seconds >= u.seconds && seconds % u.seconds === 0) return { amount: seconds / u.seconds, unit: u.id };
  }
  return { amount: Math.max(1, Math.round(seconds / 60)), unit: "minutes" };
}

export function formatSeconds(seconds: number): string {
  const { amount, unit } = splitSeconds(seconds);
  const singular = unit.slice(0, -1);
  return plural(amount, singular);
}

// ── key=value lines (pipeline params, environment variables) ─────────────────────────────────
export type TParsedLines = { ok: true; values: Record<string, string> } | { ok: false; error: string };

/**
 * One `key=value` per line; blank lines and `#` comments are skipped. The value is everything after
 * the first `=` (it may itself contain `=`), trimmed. A repeated key is an error rather than a silent
 * last-one-wins, since it is almost always a paste mistake.
 */
export function parseKeyValueLines(text: string): TParsedLines {
  const values: Record<string, string> = {};
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === "" || line.startsWith("#")) continue;
    const eq = line.indexOf("=");
    if (eq <= 0) return { ok: false, error: `Line ${i + 1}: write it as name=value.` };
    const key = line.slice(0, eq).trim();
    if (key === "") return { ok: false, error: `Line ${i + 1}: the name before "=" is missing.` };
    if (Object.hasOwn(values, key)) return { ok: false, error: `Line ${i + 1}: ${key} is given twice.` };
    values[key] = line.slice(eq + 1).trim();
  }
  return { ok: true, values };
}

/** The names of the `name=value` lines in `text`, even while another line is still wrong. */
export function lineNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith("#")) continue;
    const name = line.slice(0, Math.max(0, line.indexOf("="))).trim();
    if (name) names.add(name);
  }
  return names;
}

export function formatKeyValueLines(values: Record<string, TParamValue>): string {
  return Object.entries(values)
    .map(([k, v]) => `${k}=${String(v)}`)
    .join("\n");
}

/** Lines of text to a list: blank lines dropped, each trimmed (sbatch options, one per line). */
export const nonEmptyLines = (text: string) =>
  text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);

/** How many secrets a run received: the workspace's by name, the launcher's personal ones by count (names only to the launcher). */
export const runSecretCount = (run: {
  secretNames: Array<{ source: "workspace" | "user" }>;
  personalSecretCount: number;
}) => run.secretNames.filter((s) => s.source === "workspace").length + run.personalSecretCount;
