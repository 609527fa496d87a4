import { index, integer, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * One row per worker process, written by the system health-check job. The web reads it to report
 * whether a worker is consuming jobs (a queue with no consumer is the failure operators miss).
 */
export const workerHeartbeats = pgTable(
  "worker_heartbeats",
  {
    workerId: text().primaryKey(),
    hostname: text().notNull(),
    pid: integer().notNull(),
    version: text().notNull(),
    startedAt: timestamp({ withTimezone: true }).notNull(),
    lastSeenAt: timestamp({ withTimezone: true }).notNull(),
    /** When this worker last completed a `system.health-check` job taken from the queue. */
    lastHealthCheckAt: timestamp({ withTimezone: true }),
    lastHealthCheckJobId: text(),
  },
  // Timer queries: the health check prunes by lastSeenAt, /api/health reads the latest health check.
  (t) => [
    index("worker_heartbeats_last_seen_idx").on(t.lastSeenAt),
    index("worker_heartbeats_last_check_idx").on(t.lastHealthCheckAt),
  ],
);

export type TWorkerHeartbeat = typeof workerHeartbeats.$inferSelect;
