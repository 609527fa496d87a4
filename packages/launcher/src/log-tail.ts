import { MASK, type TRedactor } from "@lockstep/redact";
import { openRunFile } from "./safe-file";

/**
 * The live copy of a run's console into the database, made safe against whatever bytes a pipeline
 * prints: every line is redacted on its raw bytes (before anything else can split a value), then
 * cut, then made into text Postgres accepts. A NUL byte once kept a run RUNNING forever because
 * Postgres refused the line on every retry; here no byte sequence can fail to become a stored line.
 */

/** Longest stored line; the rest is dropped with a marker saying how many bytes. */
export const LOG_LINE_MAX_BYTES = 16 * 1024;
/** Lines stored per run; beyond this one marker line says so and the file alone keeps the rest. */
export const LOG_MAX_STORED_LINES = 20_000;
/** Bytes of whole lines one look consumes while the run is live (a final look reads to the end). */
const LIVE_BUDGET = 4 * 1024 * 1024;
const FINAL_BUDGET = 256 * 1024 * 1024;
/** Bytes of one over-long line scanned for its end in one look before the head is stored anyway. */
const LONG_LINE_SCAN = 64 * 1024 * 1024;
const SCAN_CHUNK = 1024 * 1024;

export type TLogTail = {
  lines: string[];
  /** Where the next look starts. */
  offset: number;
  /** Masked spans in the lines returned. */
  occurrences: number;
  /** `room` lines were returned and more output is waiting: the caller marks the log as full. */
  full: boolean;
};

const NEWLINE = 0x0a;

/** What the tail reads a console through: a local file handle, or a file open over SFTP (the SSH executor). */
export type TReadableFile = {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
  stat(): Promise<{ size: number }>;
  close(): Promise<void>;
};

/**
 * Control characters become their visible Unicode "control picture" (NUL → ␀, ESC → ␛, DEL → ␡),
 * tabs stay; invalid UTF-8 has already become U+FFFD when decoded. What is left is text any
 * Postgres `text` column stores.
 */
export function printable(bytes: Buffer): string {
  const text = bytes.toString("utf8");
  /* eslint-disable no-control-regex -- the point: control characters become visible symbols */
  return text.replace(/[\x00-\x08\x0a-\x1f\x7f]/g, (c) =>
    String.fromCharCode(c === "\x7f" ? 0x2421 : 0x2400 + c.charCodeAt(0)),
  );
  /* eslint-enable no-control-regex */
}

/**
 * One stored line from a line's first bytes (`head`, at least LOG_LINE_MAX_BYTES + the redactor's
 * lookahead of it when the line is longer). `length` is the whole line's length in bytes,
 * `continues` says its end has not been seen yet.
 */
export function storedLine(
  head: Buffer,
  length: number,
  redactor: TRedactor,
  continues = false,
): { line: string; occurrences: number } {
  let line = head.subarray(0, length);
  let total = length;
  if (!continues && line.length === length && line[length - 1] === 0x0d) {
    line = line.subarray(0, -1);
    total--;
  }
  const cut = Math.min(line.length, LOG_LINE_MAX_BYTES);
  // Matches that start before the cut, seen whole thanks to the lookahead: one running across the
  // cut is masked entirely and moves the cut to its end, so no part of a value is ever kept.
  const spans = redactor.spans(line, 0, cut);
  const parts: string[] = [];
  let at = 0;
  for (const [start, end] of spans) {
    parts.push(printable(line.subarray(at, start)), MASK);
    at = end;
  }
  const kept = Math.max(at, cut);
  parts.push(printable(line.subarray(at, kept)));
  const dropped = total - kept;
  if (continues) parts.push(` [… line longer than 16 KiB: ${dropped}+ bytes dropped so far, it goes on]`);
  else if (dropped > 0) parts.push(` [… line longer than 16 KiB: ${dropped} bytes dropped]`);
  return { line: parts.join(""), occurrences: spans.length };
}

async function readAt(handle: TReadableFile, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let got = 0;
  while (got < length) {
    const { bytesRead } = await handle.read(buffer, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return buffer.subarray(0, got);
}

/** Offset just past the next newline at or after `from` (scanning at most `limit` bytes), or null. */
async function findLineEnd(
  handle: TReadableFile,
  from: number,
  size: number,
  limit: number,
): Promise<{ end: number | null; scanned: number }> {
  let at = from;
  while (at < size && at - from < limit) {
    const chunk = await readAt(handle, at, Math.min(SCAN_CHUNK, size - at, limit - (at - from)));
    if (chunk.length === 0) break;
    const nl = chunk.indexOf(NEWLINE);
    if (nl >= 0) return { end: at + nl + 1, scanned: at + nl + 1 - from };
    at += chunk.length;
  }
  return { end: null, scanned: at - from };
}

/**
 * New whole lines of a run file (its console log) from `offset`, redacted and made storable, at
 * most `room` of them. The partial last line waits for the next look unless `final` (the head has
 * ended). A line longer than LONG_LINE_SCAN is stored by its head and the rest skipped, so one
 * endless line cannot stall the log or fill memory.
 */
export async function readLogTail(
  runDir: string,
  rel: string,
  offset: number,
  redactor: TRedactor,
  opts: { final: boolean; room: number; longLineScan?: number },
): Promise<TLogTail> {
  return readLogTailOf(await openRunFile(runDir, rel), offset, redactor, opts);
}

/** readLogTail on a file already opened safely (null: there is none yet). Closes it. */
export async function readLogTailOf(
  handle: TReadableFile | null,
  offset: number,
  redactor: TRedactor,
  opts: { final: boolean; room: number; longLineScan?: number },
): Promise<TLogTail> {
  const longLineScan = opts.longLineScan ?? LONG_LINE_SCAN;
  if (!handle) return { lines: [], offset, occurrences: 0, full: false };
  try {
    const { size } = await handle.stat();
    // The file shrank (rewritten by the pipeline): carry on from its new end.
    if (size < offset) return { lines: [], offset: size, occurrences: 0, full: false };
    // No room left: skip to the end (saying once, when exactly full, that output was left out).
    if (opts.room <= 0) return { lines: [], offset: size, occurrences: 0, full: opts.room === 0 && size > offset };
    const lines: string[] = [];
    let occurrences = 0;
    let pos = offset;

    // Inside a long line whose head an earlier look stored: skip to its end.
    if (pos > 0 && (await readAt(handle, pos - 1, 1))[0] !== NEWLINE) {
      const { end, scanned } = await findLineEnd(handle, pos, size, longLineScan);
      if (end === null) {
        if (opts.final && size > pos) lines.push(`[… ${size - pos} more bytes of that line dropped]`);
        return { lines, offset: opts.final ? size : pos + scanned, occurrences, full: false };
      }
      lines.push(`[… ${end - pos - 1} more bytes of that line dropped]`);
      pos = end;
    }

    const headBytes = LOG_LINE_MAX_BYTES + redactor.lookahead + 1;
    const chunkBytes = Math.max(256 * 1024, headBytes);
    const budget = opts.final ? FINAL_BUDGET : LIVE_BUDGET;
    while (pos < size && pos - offset < budget && lines.length < opts.room) {
      const chunk = await readAt(handle, pos, Math.min(chunkBytes, size - pos));
      if (chunk.length === 0) break;
      let at = 0;
      // Whole lines in this chunk.
      for (let nl = chunk.indexOf(NEWLINE); nl >= 0 && lines.length < opts.room; nl = chunk.indexOf(NEWLINE, at)) {
        const stored = storedLine(chunk.subarray(at, nl), nl - at, redactor);
        lines.push(stored.line);
        occurrences += stored.occurrences;
        at = nl + 1;
      }
      pos += at;
      if (lines.length >= opts.room) break;
      if (at > 0) continue; // the rest starts a line: read it afresh from its start
      // No newline in a whole chunk: either the file's unfinished last line or a line longer than a chunk.
      const rest = chunk;
      if (pos + rest.length >= size && rest.length < chunkBytes) {
        if (!opts.final) break; // still being written
        const stored = storedLine(rest, rest.length, redactor);
        lines.push(stored.line);
        occurrences += stored.occurrences;
        pos += rest.length;
        break;
      }
      const head = rest.subarray(0, headBytes);
      const { end, scanned } = await findLineEnd(handle, pos + rest.length, size, longLineScan);
      if (end !== null) {
        const stored = storedLine(head, end - 1 - pos, redactor);
        lines.push(stored.line);
        occurrences += stored.occurrences;
        pos = end;
        continue;
      }
      const seen = rest.length + scanned;
      if (!opts.final && pos + seen >= size && seen < longLineScan) break; // its end may come soon
      // Too long to wait for (or the head ended without a newline): keep its head, skip what was seen.
      const stored = storedLine(head, seen, redactor, !opts.final || pos + seen < size);
      lines.push(stored.line);
      occurrences += stored.occurrences;
      pos += seen;
    }
    return { lines, offset: pos, occurrences, full: lines.length >= opts.room && pos < size };
  } finally {
    await handle.close();
  }
}
