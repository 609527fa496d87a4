import { Job } from "bullmq";
import type { Logger } from "pino";
import { jobCatalog, type TQueues } from "@lockstep/queue";

/**
 * Event-driven finish (issue #15). The monitor job looks at a running run every
 * MONITOR_INTERVAL_MS; for heads on this machine (local, host Slurm) it also asks the executor to
 * watch the run directory for the exit code file. When that fires, this asks the executor's own
 * `status` (the head process or the scheduler, not the file) a few times in quick succession —
 * the script writes the file just before the head exits — and as soon as the head is gone it
 * promotes the run's delayed monitor job, which finishes the run and schedules the cleanup as it
 * always does. The poll stays as the safety net (a missed event, a worker restart, NFS).
 *
 * The run directory is hostile: the event is only a name chosen by whoever wrote into it. It is
 * bound to the run whose directory was watched (never a run id read from the directory), wakes
 * nothing but that run's own check, and a head still alive after a wake silences further wakes
 * for a second, so a pipeline that keeps writing the file costs at most a few status looks a second.
 */
export type TExitWatch = {
  /** Watches a running run (idempotent; refreshes an existing watch). `isRunning` asks the executor's status; `watch` starts the executor's watch. */
  ensure(runId: string, watch: (wake: () => void) => () => void, isRunning: () => Promise<boolean>): void;
  /** Stops watching a run (it ended). */
  drop(runId: string): void;
  /** How many wakes came in, by run (tests). */
  readonly wakes: Map<string, number>;
  size(): number;
  close(): void;
};

type TEntry = {
  stop: () => void;
  isRunning: () => Promise<boolean>;
  touched: number;
  checking: boolean;
  quietUntil: number;
  pending: boolean;
};

/** Delays between the status checks after a wake: fast at first (a local head exits within milliseconds), then backing off. */
const CHECK_DELAYS_MS = [0, 5, 5, 10, 10, 20, 20, 40, 50, 100, 100, 200, 200, 400, 400];
/** After wakes that found the head alive (the pipeline wrote the file itself), further wakes wait this long. */
const QUIET_MS = 1_000;

export function createExitWatch(opts: { queues: TQueues; logger: Logger; monitorIntervalMs: number }): TExitWatch {
  const entries = new Map<string, TEntry>();
  const wakes = new Map<string, number>();
  // A watch not refreshed by a monitor look in this long belongs to a run this worker no longer monitors.
  const ttl = Math.max(60_000, opts.monitorIntervalMs * 10);
  const reaper = setInterval(
    () => {
      const now = Date.now();
      for (const [runId, e] of entries) if (now - e.touched > ttl) drop(runId);
    },
    Math.min(ttl, 30_000),
  );
  reaper.unref();

  function drop(runId: string) {
    const e = entries.get(runId);
    if (!e) return;
    entries.delete(runId);
    e.stop();
  }

  /** Moves the run's delayed monitor job to the front; retried briefly while it is active (its look may just have missed the end). */
  async function promote(runId: string) {
    const queue = opts.queues.get(jobCatalog["runs.monitor"].queue);
    const id = jobCatalog["runs.monitor"].jobId({ runId });
    for (let i = 0; i < 50; i++) {
      const job = await Job.fromId(queue, id);
      if (!job) return;
      const state = await job.getState();
      if (state === "delayed") {
        try {
          await job.promote();
          return;
        } catch {
          // it moved between the two calls: look again
        }
      } else if (state !== "active") {
        return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  async function check(runId: string, e: TEntry, delays: readonly number[] = CHECK_DELAYS_MS) {
    e.checking = true;
    try {
      for (const delay of delays) {
        if (delay) await new Promise((r) => setTimeout(r, delay));
        if (entries.get(runId) !== e) return;
        if (!(await e.isRunning())) {
          drop(runId);
          await promote(runId);
          return;
        }
      }
      // The file without the head's end: written by the pipeline itself. Wakes in the next second
      // are folded into one look at its end, so rewriting the file costs at most a look a second.
      e.quietUntil = Date.now() + QUIET_MS;
      setTimeout(() => {
        if (!e.pending || entries.get(runId) !== e) return;
        e.pending = false;
        void check(runId, e);
      }, QUIET_MS).unref();
    } catch (error) {
      opts.logger.warn(
        { runId, err: error instanceof Error ? error.name : "unknown" },
        "could not check a run after its exit code file appeared; the monitor's next look will",
      );
    } finally {
      e.checking = false;
    }
  }

  return {
    wakes,
    ensure(runId, watch, isRunning) {
      const known = entries.get(runId);
      if (known) {
        known.touched = Date.now();
        known.isRunning = isRunning;
        return;
      }
      const entry: TEntry = {
        stop: () => {},
        isRunning,
        touched: Date.now(),
        checking: false,
        quietUntil: 0,
        pending: false,
      };
      entries.set(runId, entry);
      entry.stop = watch(() => {
        wakes.set(runId, (wakes.get(runId) ?? 0) + 1);
        if (entry.checking || Date.now() < entry.quietUntil) {
          entry.pending = true;
          return;
        }
        void check(runId, entry);
      });
      // The head may have ended between the monitor's look and this watch: one look now, no quiet period after it.
      void check(runId, entry, [0]).then(() => {
        entry.quietUntil = 0;
        if (entry.pending && entries.get(runId) === entry) {
          entry.pending = false;
          void check(runId, entry);
        }
      });
    },
    drop,
    size: () => entries.size,
    close() {
      clearInterval(reaper);
      for (const runId of [...entries.keys()]) drop(runId);
    },
  };
}
