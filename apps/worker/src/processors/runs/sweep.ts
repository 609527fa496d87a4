import {
  computeEnvsForSweep,
  recordAudit,
  runStatuses,
  runsNeedingWork,
  secretsToValidate,
  updateRunIf,
  isTerminal,
  type TComputeEnv,
} from "@lockstep/db";
import { enqueue, enqueueFresh } from "@lockstep/queue";
import { ReportThrottle } from "../../report-throttle";
import { storeKey, storeOf, withTarget } from "../../runtime";
import type { THandler } from "../types";

/** Compute environments that share one store (a runs directory, an account's prefix) are listed once. */
const ceStoreKey = (ce: TComputeEnv) => storeKey(storeOf(ce, { id: "00000000-0000-0000-0000-000000000000" }, null));

/**
 * Listing job definitions has no name filter (every ACTIVE one in the region, paged), so scheduled
 * passes look for an ended run's left-behind definitions at most this often per store; any other
 * pass (the worker starting, an operator) always does. Cleanup releases them itself; this is the net.
 */
const JOB_DEFINITION_SWEEP_MS = 10 * 60_000;
const jobDefinitionsSweptAt = new Map<string, number>();

/** The sweeper passes every 30 s: an unreachable store is logged when new or changed, then hourly. */
const reports = new ReportThrottle(3_600_000);

/**
 * Postgres is the record; Redis only holds work to do. The sweeper re-derives every pending step
 * from run rows (so losing Redis loses no deletion), stops runs past their lifetime, and deletes
 * secret copies whose run is finished or unknown to the database — in run directories and in the
 * clouds' secret managers alike.
 */
export const sweep: THandler<"runs.sweep"> = async (payload, _job, ctx) => {
  const work = await runsNeedingWork(ctx.db);
  // An overdue run is stopped below, not started: one rule, one outcome (FAILED, common.ts OVERDUE).
  const overdue = new Set(work.overdue);
  for (const runId of work.toProvision) if (!overdue.has(runId)) await enqueue(ctx.queues, "runs.provision", { runId });
  for (const runId of work.toLaunch) if (!overdue.has(runId)) await enqueue(ctx.queues, "runs.launch", { runId });
  for (const runId of work.toMonitor) await enqueue(ctx.queues, "runs.monitor", { runId });
  for (const runId of work.toCleanup) await enqueueFresh(ctx.queues, "runs.cleanup", { runId });
  // Values no worker has checked yet: a check the API could not enqueue, or stored before checks existed.
  const unchecked = await secretsToValidate(ctx.db, 200);
  for (const s of unchecked)
    await enqueue(ctx.queues, "secrets.validate", { secretId: s.id, writtenAt: s.updatedAt.toISOString() });
  for (const runId of work.overdue) {
    await updateRunIf(ctx.db, runId, { status: ["SUBMITTED", "RUNNING"] }, { cancelRequested: true });
    await enqueue(ctx.queues, "runs.cancel", { runId });
  }

  let leftovers = 0;
  let releasedDefinitions = 0;
  const unreachable = new Set<string>();
  const seen = new Set<string>();
  for (const ce of await computeEnvsForSweep(ctx.db)) {
    try {
      // Inside the try: a row whose stored settings do not fit its kind fails here, naming the
      // environment and the field, and must not stop the sweep of every other store.
      const key = ceStoreKey(ce);
      if (seen.has(key)) continue;
      seen.add(key);
      await withTarget(ctx, ce, async ({ provider, executor }) => {
        const copies = await provider.listManaged();
        const statuses = await runStatuses(
          ctx.db,
          copies.map((c) => c.runId),
        );
        const done = new Set<string>();
        for (const copy of copies) {
          const status = statuses.get(copy.runId);
          if ((status && !isTerminal(status)) || done.has(copy.runId)) continue;
          done.add(copy.runId);
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
            detail: {
              via: "sweeper",
              provider: provider.kind,
              reason: status ? `run ${status}` : "run unknown to the database",
            },
          });
        }
        // AWS Batch job definitions (the head's, and those nf-lockstep registered for tasks) of runs
        // that ended: references only, but deregistered all the same. Runs unknown to this database
        // are left alone: another Lockstep may share the account, and its runs are not ours to end.
        const due =
          payload.requestedBy !== "scheduler" ||
          Date.now() - (jobDefinitionsSweptAt.get(key) ?? 0) >= JOB_DEFINITION_SWEEP_MS;
        if (executor.leftovers && due) {
          jobDefinitionsSweptAt.set(key, Date.now());
          const runs = await executor.leftovers();
          const ended = await runStatuses(ctx.db, runs);
          for (const runId of runs) {
            const status = ended.get(runId);
            if (!status || !isTerminal(status)) continue;
            await executor.release({ runId, runDir: "", ref: "" });
            releasedDefinitions++;
          }
        }
      });
    } catch (error) {
      // One unreachable store (deleted credentials, a cloud outage) must not stop the others' sweep.
      unreachable.add(ce.id);
      const message = error instanceof Error ? error.message : "unknown error";
      if (reports.shouldReport(ce.id, message))
        ctx.logger.warn({ computeEnv: ce.id, kind: ce.kind, err: message }, "sweeper could not reach a secrets store");
    }
  }
  // Reachable again (or gone): a later failure is news.
  reports.settle(unreachable);
  ctx.metrics?.swept(leftovers, unreachable.size);
  return {
    ...Object.fromEntries(Object.entries(work).map(([k, v]) => [k, v.length])),
    unchecked: unchecked.length,
    leftovers,
    releasedDefinitions,
    unreachable: unreachable.size,
  };
};
