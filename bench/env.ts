/**
 * The benchmark's knobs. The only file under bench/ that reads `process.env` (STYLE.md: one env.ts
 * owns configuration and fails fast naming the variable). Plain parsing: three integers need no
 * schema library.
 */
function count(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === "") return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer of at least ${min} (got ${JSON.stringify(raw)})`);
  }
  return value;
}

export const benchEnv = {
  /** Measured iterations per scenario. */
  iterations: count("BENCH_ITERATIONS", 30, 1),
  /** Untimed iterations per scenario first (SDK clients, connections, JIT). */
  warmup: count("BENCH_WARMUP", 3, 0),
  /** Fault proxy seed, so a surprising retry run can be repeated exactly. */
  faultSeed: count("BENCH_FAULT_SEED", 42, 0),
  /** bench:system — local runs (real Nextflow) for launch → provisioned and head exit → FINISHED / deleted. */
  runs: count("BENCH_RUNS", 10, 1),
  /** bench:system — rounds of 20 × `nextflow secrets set` (each round is 20 JVM starts). */
  byHandRounds: count("BENCH_BY_HAND_ROUNDS", 1, 1),
  /** bench:system — cloud runs (AWS Batch on moto) per throughput scenario (one worker, two workers). */
  cloudRuns: count("BENCH_CLOUD_RUNS", 60, 1),
};

/** bench:system — `BENCH_ONLY=finish` runs only the local runs (launch → provisioned, head exit → FINISHED / deleted): no web, no reads, no cloud. */
function only(name: string, choices: readonly string[]): string | null {
  const raw = process.env[name]?.trim();
  if (!raw) return null;
  if (!choices.includes(raw))
    throw new Error(`${name} must be one of ${choices.join(", ")} (got ${JSON.stringify(raw)})`);
  return raw;
}
export const benchOnly = only("BENCH_ONLY", ["finish"]);

/** What bench:system's child processes (the web build, Nextflow by hand) inherit: PATH, HOME and the rest of the bench's environment. */
export const inheritedEnv: Readonly<Record<string, string | undefined>> = { ...process.env };
/**
 * bench/lists.bench.ts: a page of a list at concurrency, against its floor. Read when used (getters):
 * BENCH_RUNS means something else to bench:system (10 local runs), which must not fail on this
 * benchmark's minimum of 50.
 */
export const listsEnv = {
  /** Requests in flight at once. */
  get concurrency() {
    return count("BENCH_CONCURRENCY", 50, 1);
  },
  /** Measured requests per scenario. */
  get requests() {
    return count("BENCH_REQUESTS", 2000, 1);
  },
  /** Interleaved rounds the requests are split into (every scenario runs once per round, the order rotated). */
  get rounds() {
    return count("BENCH_ROUNDS", 5, 1);
  },
  /** Secrets and runs seeded in the benchmark's workspace. */
  get secrets() {
    return count("BENCH_SECRETS", 1000, 50);
  },
  get runs() {
    return count("BENCH_RUNS", 20_000, 50);
  },
  /** An existing database to use instead of an embedded one (the system benchmark passes its own). */
  get databaseUrl() {
    return process.env.BENCH_DATABASE_URL?.trim() || null;
  },
  /** NODE_OPTIONS' flags (recorded with the results: the server and its floor both run under them). */
  get nodeOptions(): string[] {
    return process.env.NODE_OPTIONS?.split(/\s+/).filter(Boolean) ?? [];
  },
};
