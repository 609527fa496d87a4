import { Job } from "bullmq";
import type { Logger } from "pino";
import type { TExitSignal } from "@lockstep/launcher";
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
 *
 * Where this worker process spawned the head, the executor also signals the child's exit ("exit").
 * That one comes from the kernel, not the run directory: it cuts short the wait between status
 * looks and passes the quiet period, so the look that finds the head gone is the next thing done.
 * Either signal only starts a look at the head's status; finishing stays the monitor job's (one
 * job per run: a second signal, or the file and the exit together, cannot finish or clean twice).
 */
export type TExitWatch = {
  /** Watches a running run (idempotent; refreshes an existing watch). `isRunning` asks the executor's status; `watch` starts the executor's watch. */
  ensure(
    runId: string,
    watch: (wake: (signal: TExitSignal) => void) => () => void,
    isRunning: () => Promise<boolean>,
  ): void;
  /** Stops watching a run (it ended). */
  drop(runId: string): void;
  /**
   * Whether a look started by a wake found this run's head gone (in the last minute); answers yes
   * once. A monitor look that began before the head ended and saw it running asks this, and looks
   * again at once instead of after the interval (once: a status that disagrees cannot make a loop).
   */
  takeHeadGone(runId: string): boolean;
  /** How many wakes came in, by run (tests). */
  readonly wakes: Map<string, number>;
  /** How many of them were the head's exit as this process saw it (tests). */
  readonly exits: Map<string, number>;
  /** How many times a wake moved the run's monitor job to the front, by run (tests). */
  readonly promotions: Map<string, number>;
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
  /** The head's exit was signalled: no more waiting between looks. */
  exited: boolean;
  /** Ends the wait between two looks early (set while a look waits). */
  hurry: (() => void) | null;
};

/** Delays between the status checks after a wake: fast at first (a local head exits within milliseconds), then backing off. */
const CHECK_DELAYS_MS = [0, 5, 5, 10, 10, 20, 20, 40, 50, 100, 100, 200, 200, 400, 400];
/** After wakes that found the head alive (the pipeline wrote the file itself), further wakes wait this long. */
const QUIET_MS = 1_000;

export function createExitWatch(opts: { queues: TQueues; logger: Logger; monitorIntervalMs: number }): TExitWatch {
  const entries = new Map<string, TEntry>();
  const wakes = new Map<string, number>();
  const exits = new Map<string, number>();
  const promotions = new Map<string, number>();
  const count = (m: Map<string, number>, runId: string) => m.set(runId, (m.get(runId) ?? 0) + 1);
  const gone = new Map<string, number>();
  const GONE_MS = 60_000;
  // A watch not refreshed by a monitor look in this long belongs to a run this worker no longer monitors.
  const ttl = Math.max(60_000, opts.monitorIntervalMs * 10);
  const reaper = setInterval(
    () => {
      const now = Date.now();
      for (const [runId, e] of entries) if (now - e.touched > ttl) drop(runId);
      for (const [runId, at] of gone) if (now - at > GONE_MS) gone.delete(runId);
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

  /**
   * Moves the run's delayed monitor job to the front; retried briefly while it is active (its look
   * may just have missed the end). The promote is tried first: it is the usual case, and its script
   * refuses a job that is not delayed, which is when the state is worth a look.
   */
  async function promote(runId: string) {
    const queue = opts.queues.get(jobCatalog["runs.monitor"].queue);
    const id = jobCatalog["runs.monitor"].jobId({ runId });
    for (let i = 0; i < 50; i++) {
      const job = await Job.fromId(queue, id);
      if (!job) return;
      try {
        await job.promote();
        count(promotions, runId);
        return;
      } catch {
        // not delayed (any more): active is worth waiting for, anything else has ended
      }
      const state = await job.getState();
      if (state !== "active" && state !== "delayed") return;
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Waits between two looks, unless the head's exit was signalled (or is, meanwhile). */
  function pause(e: TEntry, ms: number) {
    if (e.exited) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        e.hurry = null;
        resolve();
      }
      e.hurry = done;
    });
  }

  /** One look at the head; once it is gone, the watch ends and the monitor job is moved to the front. */
  async function ended(runId: string, e: TEntry): Promise<boolean> {
    if (entries.get(runId) !== e) return true;
    if (await e.isRunning()) return false;
    // Two looks can overlap (a quiet-period look and a signal's): the first to get here promotes.
    if (entries.get(runId) !== e) return true;
    drop(runId);
    gone.set(runId, Date.now());
    await promote(runId);
    return true;
  }

  async function check(runId: string, e: TEntry, delays: readonly number[] = CHECK_DELAYS_MS) {
    e.checking = true;
    try {
      for (const delay of delays) {
        if (delay) await pause(e, delay);
        if (await ended(runId, e)) return;
      }
      // A look that began just before the exit was signalled saw the head alive: the signal asks for one more.
      if (e.exited && (await ended(runId, e))) return;
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
    exits,
    promotions,
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
        exited: false,
        hurry: null,
      };
      entries.set(runId, entry);
      entry.stop = watch((signal) => {
        count(wakes, runId);
        if (signal === "exit") {
          count(exits, runId);
          entry.exited = true;
          // A look under way goes straight to its next status look; otherwise one starts now, quiet period or not.
          if (entry.checking) entry.hurry?.();
          else void check(runId, entry, [0]);
          return;
        }
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
    drop(runId) {
      drop(runId);
      gone.delete(runId);
    },
    takeHeadGone(runId) {
      const at = gone.get(runId);
      gone.delete(runId);
      return at !== undefined && Date.now() - at <= GONE_MS;
    },
    size: () => entries.size,
    close() {
      clearInterval(reaper);
      for (const runId of [...entries.keys()]) drop(runId);
      gone.clear();
    },
  };
}
