import { queueNames, type TQueues } from "@lockstep/queue";

/**
 * The instance admin's queue view (GET /admin/queues; issue #15): per BullMQ queue, the jobs in
 * each state and the latest failed, active, waiting and delayed jobs — their name, id, attempts,
 * times and failure reason. Never a job's payload: payloads hold ids only (the job catalog's zod
 * schemas refuse anything else), and this view does not show them anyway. Anyone but a signed-in
 * instance admin gets a plain 404, as if the page did not exist.
 */
const STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed", "paused"] as const;
const LISTED = ["failed", "active", "waiting", "delayed"] as const;

export type TQueueJobRow = { id: string; name: string; attempts: number; at: number | null; reason: string | null };
export type TQueueSummary = {
  name: string;
  counts: Record<(typeof STATES)[number], number>;
  jobs: Record<(typeof LISTED)[number], TQueueJobRow[]>;
};

export async function queueSummaries(queues: TQueues, perState = 20): Promise<TQueueSummary[]> {
  return Promise.all(
    queueNames.map(async (name) => {
      const queue = queues.get(name);
      const raw = await queue.getJobCounts(...STATES);
      const counts = Object.fromEntries(STATES.map((s) => [s, raw[s] ?? 0])) as TQueueSummary["counts"];
      const jobs = Object.fromEntries(
        await Promise.all(
          LISTED.map(async (state) => {
            const list = await queue.getJobs([state], 0, perState - 1, false);
            // Only these fields are read from a job; its `data` never is.
            const rows: TQueueJobRow[] = list.filter(Boolean).map((job) => ({
              id: String(job.id ?? ""),
              name: job.name,
              attempts: job.attemptsMade,
              at: job.finishedOn ?? job.processedOn ?? job.timestamp ?? null,
              reason: state === "failed" ? (job.failedReason ?? "").slice(0, 300) : null,
            }));
            return [state, rows];
          }),
        ),
      ) as TQueueSummary["jobs"];
      return { name, counts, jobs };
    }),
  );
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function renderQueueView(summaries: TQueueSummary[], now = new Date()): string {
  const sections = summaries.map((q) => {
    const counts = STATES.map((s) => `<td>${q.counts[s]}</td>`).join("");
    const lists = LISTED.filter((s) => q.jobs[s].length > 0)
      .map(
        (s) =>
          `<h3>${s} (latest ${q.jobs[s].length} of ${q.counts[s]})</h3><table border="1" cellpadding="4"><tr><th>job</th><th>id</th><th>attempts</th><th>at</th>${s === "failed" ? "<th>reason</th>" : ""}</tr>${q.jobs[
            s
          ]
            .map(
              (j) =>
                `<tr><td>${escape(j.name)}</td><td><code>${escape(j.id)}</code></td><td>${j.attempts}</td><td>${j.at ? new Date(j.at).toISOString() : ""}</td>${s === "failed" ? `<td>${escape(j.reason ?? "")}</td>` : ""}</tr>`,
            )
            .join("")}</table>`,
      )
      .join("");
    return `<section><h2>${escape(q.name)}</h2><table border="1" cellpadding="4"><tr>${STATES.map((s) => `<th>${s}</th>`).join("")}</tr><tr>${counts}</tr></table>${lists}</section>`;
  });
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Queues · Lockstep</title><meta name="robots" content="noindex"></head><body><h1>Queues</h1><p>As of ${now.toISOString()}. Job payloads are not shown (they hold ids only).</p>${sections.join("")}</body></html>`;
}

const notFound = () =>
  new Response("Not found\n", {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });

/** The whole answer for a caller: 404 unless an instance admin (a bearer token needs the `admin` scope too). */
export async function queueViewResponse(
  caller: { isInstanceAdmin: boolean; disabledAt: Date | null; tokenScopes?: readonly string[] } | null,
  queues: TQueues,
): Promise<Response> {
  if (!caller || !caller.isInstanceAdmin || caller.disabledAt) return notFound();
  if (caller.tokenScopes && !caller.tokenScopes.includes("admin")) return notFound();
  const html = renderQueueView(await queueSummaries(queues));
  return new Response(html, {
    status: 200,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
      "x-content-type-options": "nosniff",
    },
  });
}
