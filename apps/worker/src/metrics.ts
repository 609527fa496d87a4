import { Counter, Gauge, Histogram, type Registry } from "prom-client";
import { runGauges, type TDatabase, type TRun } from "@lockstep/db";
import { queueNames, type TQueues } from "@lockstep/queue";

/**
 * The worker's own metrics on /metrics (docs/metrics.md lists them; docs/grafana-lockstep.json
 * charts them). Queue and run gauges are read at scrape time (BullMQ's counts, and two indexed
 * queries over the few unsettled runs); the phase histograms are observed by the processors as a
 * run moves on. Labels are queue names, job states, run statuses and compute environment kinds:
 * never a run id, a name or anything a user typed.
 */
export type TWorkerMetrics = {
  /** A run reached PROVISIONED / RUNNING / its secrets were deleted: observe the phase it just ended. */
  provisioned(run: Pick<TRun, "submittedAt" | "computeEnvKind">, at: Date): void;
  running(run: Pick<TRun, "provisionedAt" | "computeEnvKind">, at: Date): void;
  deleted(run: Pick<TRun, "finishedAt" | "computeEnvKind">, at: Date): void;
  /** One sweeper pass: copies it deleted whose run had ended or was unknown, and stores it could not reach. */
  swept(leftovers: number, unreachable: number): void;
};

const PHASE_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900];
const JOB_STATES = [
  "waiting",
  "active",
  "delayed",
  "prioritized",
  "waiting-children",
  "completed",
  "failed",
  "paused",
] as const;

export function createWorkerMetrics(
  registry: Registry | undefined,
  deps: { db: TDatabase; queues: TQueues },
): TWorkerMetrics {
  const registers = registry ? [registry] : [];
  const phase = (name: string, help: string) =>
    new Histogram({ name, help, labelNames: ["kind"], buckets: PHASE_BUCKETS, registers });
  const toProvisioned = phase(
    "lockstep_run_submitted_to_provisioned_seconds",
    "Launch to the run's secrets written to its store (or nothing to write), by compute environment kind",
  );
  const toRunning = phase(
    "lockstep_run_provisioned_to_running_seconds",
    "Secrets provisioned to the head started (RUNNING), by compute environment kind",
  );
  const toDeleted = phase(
    "lockstep_run_finished_to_deleted_seconds",
    "Run ended to every copy of its secrets deleted and verified gone, by compute environment kind",
  );
  const leftoversTotal = new Counter({
    name: "lockstep_sweeper_leftovers_deleted_total",
    help: "Secret copies the sweeper deleted because their run had ended or was unknown",
    registers,
  });
  const lastLeftovers = new Gauge({
    name: "lockstep_sweeper_leftovers_last_pass",
    help: "Secret copies the sweeper's last pass of this worker found and deleted",
    registers,
  });
  const unreachable = new Gauge({
    name: "lockstep_sweeper_unreachable_stores",
    help: "Secrets stores the sweeper's last pass of this worker could not reach",
    registers,
  });
  const lastSweep = new Gauge({
    name: "lockstep_sweeper_last_pass_timestamp_seconds",
    help: "When this worker's sweeper last completed a pass",
    registers,
  });

  new Gauge({
    name: "lockstep_queue_jobs",
    help: "Jobs in each BullMQ queue by state (depth: waiting + prioritized; failed: kept failed jobs)",
    labelNames: ["queue", "state"],
    registers,
    async collect() {
      this.reset();
      await Promise.all(
        queueNames.map(async (queue) => {
          const counts = await deps.queues.get(queue).getJobCounts(...JOB_STATES);
          for (const state of JOB_STATES) this.set({ queue, state }, counts[state] ?? 0);
        }),
      );
    },
  });
  new Gauge({
    name: "lockstep_queue_depth",
    help: "Jobs waiting for a worker in each queue (waiting + prioritized; delayed monitor looks are not counted)",
    labelNames: ["queue"],
    registers,
    async collect() {
      await Promise.all(
        queueNames.map(async (queue) => {
          const counts = await deps.queues.get(queue).getJobCounts("waiting", "prioritized");
          this.set({ queue }, (counts.waiting ?? 0) + (counts.prioritized ?? 0));
        }),
      );
    },
  });
  new Gauge({
    name: "lockstep_queue_failed_jobs",
    help: "Failed jobs kept in each queue (a job failed for good: all attempts used or not retryable)",
    labelNames: ["queue"],
    registers,
    async collect() {
      await Promise.all(
        queueNames.map(async (queue) => {
          const counts = await deps.queues.get(queue).getJobCounts("failed");
          this.set({ queue }, counts.failed ?? 0);
        }),
      );
    },
  });
  // One pair of queries per scrape for the three run gauges.
  let cached: { at: number; value: ReturnType<typeof runGauges> } | null = null;
  const gauges = () => {
    if (!cached || Date.now() - cached.at > 1_000) cached = { at: Date.now(), value: runGauges(deps.db) };
    return cached.value;
  };
  new Gauge({
    name: "lockstep_runs_live",
    help: "Runs SUBMITTED or RUNNING",
    labelNames: ["status"],
    registers,
    async collect() {
      const g = await gauges();
      for (const status of ["SUBMITTED", "RUNNING"] as const) this.set({ status }, g.live[status] ?? 0);
    },
  });
  new Gauge({
    name: "lockstep_runs_secrets_unsettled",
    help: "Runs whose secrets are not settled (not NONE or DELETED), by secrets state",
    labelNames: ["state"],
    registers,
    async collect() {
      const g = await gauges();
      for (const state of ["PENDING", "PROVISIONED", "DELETING", "CLEANUP_FAILED"] as const)
        this.set({ state }, g.secrets[state] ?? 0);
    },
  });
  new Gauge({
    name: "lockstep_runs_cleanup_failed",
    help: "Runs whose secrets could not be deleted (CLEANUP_FAILED): each needs a person",
    registers,
    async collect() {
      this.set((await gauges()).secrets.CLEANUP_FAILED ?? 0);
    },
  });

  const since = (from: Date | null, at: Date) => (from ? Math.max(0, (at.getTime() - from.getTime()) / 1000) : null);
  const observe = (h: Histogram, seconds: number | null, kind: string) => {
    if (seconds !== null) h.observe({ kind }, seconds);
  };
  return {
    provisioned: (run, at) => observe(toProvisioned, since(run.submittedAt, at), run.computeEnvKind),
    running: (run, at) => observe(toRunning, since(run.provisionedAt, at), run.computeEnvKind),
    deleted: (run, at) => observe(toDeleted, since(run.finishedAt, at), run.computeEnvKind),
    swept(leftovers, stores) {
      leftoversTotal.inc(leftovers);
      lastLeftovers.set(leftovers);
      unreachable.set(stores);
      lastSweep.setToCurrentTime();
    },
  };
}
