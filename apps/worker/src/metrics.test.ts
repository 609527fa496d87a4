import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { collectDefaultMetrics, Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import type { TDatabase } from "@lockstep/db";
import type { TQueues } from "@lockstep/queue";
import { createWorkerMetrics } from "./metrics";

/** The shipped dashboard and docs/metrics.md name only series the worker registers (nothing is scraped here). */
const root = resolve(import.meta.dirname, "../../..");

function registered() {
  const registry = new Registry();
  createWorkerMetrics(registry, { db: {} as TDatabase, queues: {} as TQueues });
  collectDefaultMetrics({ register: registry, prefix: "lockstep_worker_" });
  // Registered by startWorkers (worker.ts) next to these.
  return new Set([
    ...registry.getMetricsAsArray().map((m) => m.name),
    "lockstep_jobs_total",
    "lockstep_job_duration_seconds",
  ]);
}

const seriesOf = (name: string) => name.replace(/_(bucket|sum|count)$/, "");

describe("worker metrics documentation", () => {
  const names = registered();

  it("the Grafana dashboard charts only registered series", () => {
    const dashboard = readFileSync(resolve(root, "docs/grafana-lockstep.json"), "utf8");
    const used = [...new Set([...dashboard.matchAll(/\blockstep_[a-z0-9_]+/g)].map((m) => seriesOf(m[0])))];
    expect(used.length).toBeGreaterThan(8);
    expect(used.filter((n) => !names.has(n) && !names.has(`${n}_bucket`))).toEqual([]);
  });

  it("docs/metrics.md lists every lockstep_ series the worker registers, and no other", () => {
    const doc = readFileSync(resolve(root, "docs/metrics.md"), "utf8");
    const documented = new Set([...doc.matchAll(/^\| `(lockstep_[a-z0-9_]+)`/gm)].map((m) => m[1]!));
    const own = [...names].filter((n) => !n.startsWith("lockstep_worker_"));
    expect(own.filter((n) => !documented.has(n))).toEqual([]);
    expect([...documented].filter((n) => !names.has(n))).toEqual([]);
  });
});
