import { readRunFile } from "./safe-file";

/** Counts task states from Nextflow's trace file (tab-separated, a header row with a `status` column). */
export function summariseTrace(text: string): { tasks: number; succeeded: number; failed: number; running: number } {
  const lines = text.split("\n").filter((l) => l.trim() !== "");
  const header = lines.shift()?.split("\t") ?? [];
  const statusAt = header.indexOf("status");
  const summary = { tasks: 0, succeeded: 0, failed: 0, running: 0 };
  if (statusAt < 0) return summary;
  for (const line of lines) {
    const status = line.split("\t")[statusAt];
    summary.tasks++;
    if (status === "COMPLETED" || status === "CACHED") summary.succeeded++;
    else if (status === "FAILED" || status === "ABORTED") summary.failed++;
    else summary.running++;
  }
  return summary;
}

/** Task counts from `<runDir>/trace.tsv`, read without trusting the run directory; null when there is none yet. */
export async function readTraceSummary(runDir: string): Promise<ReturnType<typeof summariseTrace> | null> {
  const read = await readRunFile(runDir, "trace.tsv", { maxBytes: 32 * 1024 * 1024 });
  return read ? summariseTrace(read.bytes.toString("utf8")) : null;
}
