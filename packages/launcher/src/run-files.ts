import type { FileHandle } from "node:fs/promises";
import type { TRedactor } from "@lockstep/redact";
import { openRunFile, UnsafeRunFileError, walkRunDir } from "./safe-file";

/**
 * The files of a host run that hold what its pipeline printed (checked against a real Nextflow
 * 24.10 run): our console capture, Nextflow's own log (`-log nextflow.log`; `.nextflow.log` and
 * rotated `.N` copies when a pipeline or an older launcher left the default), the trace, a Slurm
 * head job's output, and each task's `.command.{out,err,log}` plus its script `.command.sh`
 * (which holds a value when a pipeline interpolates `secrets.NAME` into it) and wrapper
 * `.command.run`, in `work/<xx>/<hash>/`.
 */
const TOP_LEVEL = /^(?:console\.log|\.?nextflow\.log(?:\.\d+)?|trace\.tsv|slurm-\d+\.out)$/;
const TASK_FILE = /^\.command\.(?:out|err|log|sh|run)$/;
/** `work/<xx>/<hash>`: task directories are two levels below the work directory, never deeper. */
const TASK_DEPTH = 3;

export function isRunLogFile(rel: string, name: string): boolean {
  const parts = rel.split("/");
  if (parts.length === 1) return TOP_LEVEL.test(name);
  return parts[0] === "work" && parts.length === TASK_DEPTH + 1 && TASK_FILE.test(name);
}

export type TRunRedactionResult = {
  /** Masked spans written over, in all files. */
  occurrences: number;
  /** Files that held at least one. */
  files: number;
  /** Log files found and read through. */
  scannedFiles: number;
  /** Log files refused (symbolic link, hard link, not a regular file), left untouched. */
  refused: number;
  /** The walk or the byte budget stopped early: some files were not scanned. */
  incomplete: boolean;
};

const CHUNK = 1024 * 1024;
/** Bytes one pass reads at most, so a pipeline cannot hold its secrets' deletion back for hours. */
const PASS_BUDGET = 4 * 1024 * 1024 * 1024;

/**
 * Overwrites every occurrence in one run file, in place, with as many `*` as it had bytes. Same
 * length means no second copy, no byte that moves, and a pass cut short (a crash) is simply done
 * again: whatever it wrote already holds nothing to find. Matches are found on the original bytes
 * (the overlap between chunks is kept in memory, not read back), so two overlapping values are
 * both found even when the first was masked already. Reads at most `maxBytes`.
 */
export async function redactRunFile(
  runDir: string,
  rel: string,
  redactor: TRedactor,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<{ occurrences: number; bytes: number; partial: boolean } | null> {
  const handle = await openRunFile(runDir, rel, "r+");
  if (!handle) return null;
  try {
    return await redactOpen(handle, redactor, maxBytes);
  } finally {
    await handle.close();
  }
}

async function redactOpen(handle: FileHandle, redactor: TRedactor, maxBytes: number) {
  const { size: atOpen } = await handle.stat();
  // A process still writing to it cannot keep the pass going: it ends at the size seen when opened.
  const size = Math.min(atOpen, maxBytes);
  const chunkBytes = Math.max(CHUNK, 2 * redactor.lookahead);
  let window = Buffer.alloc(0);
  let base = 0; // file offset of window[0]
  let from = 0; // matches starting before window[from] were already handled
  let readAt = 0;
  let lastEnd = -1;
  let occurrences = 0;
  for (;;) {
    const want = Math.min(chunkBytes, size - readAt);
    const more = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(more, got, want - got, readAt + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    readAt += got;
    const end = got < want || readAt >= size;
    window = window.length === 0 ? more.subarray(0, got) : Buffer.concat([window, more.subarray(0, got)]);
    // A match starting before `until` lies wholly in the window (the lookahead covers it).
    const until = end ? window.length : Math.max(from, window.length - redactor.lookahead);
    for (const [start, stop] of redactor.spans(window, from, until)) {
      const absStart = base + start;
      const absEnd = base + stop;
      if (absStart >= lastEnd) occurrences++;
      lastEnd = Math.max(lastEnd, absEnd);
      await handle.write(Buffer.alloc(stop - start, "*"), 0, stop - start, absStart);
    }
    if (end) return { occurrences, bytes: readAt, partial: atOpen > size };
    // Keep the unscanned tail, plus one byte before it (a base64 match may mask its left neighbour).
    const keep = Math.max(0, until - 1);
    window = Buffer.from(window.subarray(keep));
    base += keep;
    from = until - keep;
  }
}

/**
 * Redacts every log file of a host run directory (see isRunLogFile), in place. Files that are not
 * plain singly-linked files are refused and counted, never opened for writing through a link.
 */
export async function redactRunFiles(runDir: string, redactor: TRedactor): Promise<TRunRedactionResult> {
  const result: TRunRedactionResult = { occurrences: 0, files: 0, scannedFiles: 0, refused: 0, incomplete: false };
  const walk = await walkRunDir(runDir, {
    want: isRunLogFile,
    // Only the work directory's task directories are worth entering; task outputs are not logs.
    descend: (rel, depth) => rel.split("/")[0] === "work" && depth <= TASK_DEPTH,
    maxDepth: TASK_DEPTH,
    maxEntries: 500_000,
  });
  result.incomplete = walk.truncated;
  let budget = PASS_BUDGET;
  for (const rel of walk.files) {
    if (budget <= 0) {
      result.incomplete = true;
      break;
    }
    try {
      const done = await redactRunFile(runDir, rel, redactor, budget);
      if (!done) continue;
      budget -= done.bytes;
      result.scannedFiles++;
      if (done.partial) result.incomplete = true;
      if (done.occurrences > 0) {
        result.files++;
        result.occurrences += done.occurrences;
      }
    } catch (error) {
      if (!(error instanceof UnsafeRunFileError)) throw error;
      result.refused++;
    }
  }
  return result;
}
