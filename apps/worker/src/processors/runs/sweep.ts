import { computeEnvsForSweep, recordAudit, runStatuses, runsNeedingWork, updateRunIf, isTerminal } from "@lockstep/db";
import { enqueue, enqueueFresh } from "@lockstep/queue";
import { providerFor } from "../../runtime";
import type { THandler } from "../types";

/**
 * Postgres is the record; Redis only holds work to do. The sweeper re-derives every pending step
 * from run rows (so losing Redis loses no deletion), stops runs past their lifetime, and deletes
 * secret stores whose run is finished or unknown to the database.
 */
export const sweep: THandler<"runs.sweep"> = async (_payload, _job, ctx) => {
  const work = await runsNeedingWork(ctx.db);
  for (const runId of work.toProvision) await enqueue(ctx.queues, "runs.provision", { runId });
  for (const runId of work.toLaunch) await enqueue(ctx.queues, "runs.launch", { runId });
  for (const runId of work.toMonitor) await enqueue(ctx.queues, "runs.monitor", { runId });
  for (const runId of work.toCleanup) await enqueueFresh(ctx.queues, "runs.cleanup", { runId });
  for (const runId of work.overdue) {
    await updateRunIf(ctx.db, runId, { status: ["SUBMITTED", "RUNNING"] }, { cancelRequested: true });
    await enqueue(ctx.queues, "runs.cancel", { runId });
  }

  let leftovers = 0;
  const seen = new Set<string>();
  for (const ce of await computeEnvsForSweep(ctx.db)) {
    if (seen.has(ce.workDir)) continue;
    seen.add(ce.workDir);
    const provider = providerFor(ce);
    const copies = await provider.listManaged().catch(() => []);
    const statuses = await runStatuses(ctx.db, copies.map((c) => c.runId));
    for (const copy of copies) {
      const status = statuses.get(copy.runId);
      if (status && !isTerminal(status)) continue;
      await provider.cleanup({ runId: copy.runId, workspaceId: "" });
      leftovers++;
      await recordAudit(ctx.db, {
        actorId: null,
        actorEmail: null,
        ip: null,
        userAgent: `lockstep-worker/${ctx.worker.version}`,
        action: "secrets.deleted",
        targetType: "run",
        targetId: copy.runId,
        runId: status ? copy.runId : null,
        detail: { via: "sweeper", reason: status ? `run ${status}` : "run unknown to the database" },
      });
    }
  }
  return { ...Object.fromEntries(Object.entries(work).map(([k, v]) => [k, v.length])), leftovers };
};
