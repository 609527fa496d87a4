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

/** Replaces every occurrence of each value with `***`, longest first (a value may contain another). */
export function maskValues(line: string, values: string[]): string {
  let out = line;
  for (const value of [...values].filter((v) => v.length >= 3).sort((a, b) => b.length - a.length)) {
    out = out.split(value).join("***");
  }
  return out;
}
