/**
 * Provision → cleanup latency of every secrets provider, against the nextflow-file store as the
 * baseline, measured side by side in one process (bench/README.md says how to read the figures).
 *
 *   node --import tsx bench/providers.bench.ts      (or `npm run bench` from the root)
 *
 * Scenarios run interleaved, one iteration of each per round with the order rotated every round,
 * so a slow patch of the machine (another build, thermal throttling) lands on every provider
 * alike instead of on whichever happened to run then. Every iteration is checked: after provision
 * listManaged must show as many copies of the run as provision reported, after cleanup none.
 * Failures are counted and printed, and a failed operation's time is left out of the figures
 * rather than flattering them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import { dirname, join, relative } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import {
  ensureGcpSecretManagerEmulator,
  ensureMoto,
  freePort,
  GCP_SM_EMULATOR_NAME,
  MOTO_VERSION,
  startFaultProxy,
  startGcpSecretManagerEmulator,
  startMoto,
  type TFaultProxy,
  type TFaultStats,
} from "@lockstep/devstack";
import { format, resolveConfig } from "prettier";
import {
  awsSecretsManagerProvider,
  googleSecretManagerProvider,
  nextflowFileProvider,
  ProviderError,
  type TRunRef,
  type TRunSecret,
  type TSecretsProvider,
} from "@lockstep/secrets";
import { benchEnv } from "./env";

const benchDir = dirname(fileURLToPath(import.meta.url));
const AWS_REGION = "us-east-1";
const AWS_CREDENTIALS = { accessKeyId: "testing", secretAccessKey: "testing" };
const GCP_PROJECT = "lockstep-bench";
const GCP_REGION = "europe-west4";
const FAULT_RATE = 0.3;
/** Round trip added by the latency proxy; Secrets Manager calls from a worker in the same region take roughly this. */
const RTT_MS = 30;

type TShape = { id: string; label: string; make: () => TRunSecret[] };

/** base64url: ASCII only (bytes = characters) and nothing Nextflow's store cannot carry. */
const value = (bytes: number) =>
  randomBytes(Math.ceil((bytes * 3) / 4))
    .toString("base64url")
    .slice(0, bytes);
const SHAPES = {
  small: {
    id: "5x64B",
    label: "5 × 64 B",
    make: () => Array.from({ length: 5 }, (_, i) => ({ name: `BENCH_SECRET_${i + 1}`, value: value(64) })),
  },
  // 65 536 bytes: the largest value Lockstep accepts, and AWS's and Google's limit as well.
  large: { id: "1x64KiB", label: "1 × 64 KiB", make: () => [{ name: "BENCH_LARGE", value: value(64 * 1024) }] },
} satisfies Record<string, TShape>;

type TScenario = {
  name: string;
  shape: TShape;
  /** The scenario whose medians this one's are divided by. */
  baseline: string;
  subject: TSecretsProvider;
  /** Lists what is really stored; the subject itself unless its path is deliberately unreliable. */
  verifier: TSecretsProvider;
  proxy?: TFaultProxy;
  /**
   * Faults are injected on purpose: a provision or cleanup that runs out of attempts and says so
   * with a retryable ProviderError is the contract (the worker's backoff retries the job), so it
   * is reported as "gave up", not as a failure. What it leaves behind is still checked.
   */
  faultsInjected?: boolean;
  /** The same path without faults: dividing by its medians isolates what the retries cost. */
  withoutFaults?: string;
};

type TFailureKind = "provisionError" | "cleanupError" | "notProvisioned" | "leftover" | "checkError";

type TScenarioResult = {
  provisionMs: number[];
  cleanupMs: number[];
  /** Requests through the proxy per measured provision / cleanup (proxied scenarios only). */
  provisionRequests: number[];
  cleanupRequests: number[];
  /** Over warm-up and measured iterations alike: a broken warm-up is still a broken provider. */
  checked: number;
  failures: Record<TFailureKind, number>;
  /** Retryable errors under injected faults, with how long the operation took to give up. */
  gaveUp: Array<{ phase: "provision" | "cleanup"; ms: number }>;
  firstErrors: string[];
};

/** Microseconds are the most performance.now() figures of this size can honestly carry. */
const round3 = (x: number) => Math.round(x * 1000) / 1000;
const round2 = (x: number) => Math.round(x * 100) / 100;

type TSummary = { median: number; p95: number; max: number };

/** Median of the sorted samples; p95 by nearest rank (with 30 samples: the 29th). */
function summarize(samples: number[]): TSummary | null {
  if (samples.length === 0) return null;
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { median: round3(median), p95: round3(s[Math.ceil(0.95 * s.length) - 1]!), max: round3(s[s.length - 1]!) };
}

const mean = (xs: number[]) => (xs.length === 0 ? null : xs.reduce((a, b) => a + b, 0) / xs.length);

async function iterate(scenario: TScenario, result: TScenarioResult, measured: boolean): Promise<void> {
  const run: TRunRef = { runId: randomUUID(), workspaceId: randomUUID() };
  const secrets = scenario.shape.make();
  const note = (line: string) => {
    if (result.firstErrors.length < 5) result.firstErrors.push(line.replace(/\s+/g, " ").slice(0, 300));
  };
  const fail = (kind: TFailureKind, detail: string) => {
    result.failures[kind] += 1;
    note(`${kind}: ${detail}`);
  };
  const failed = (phase: "provision" | "cleanup", error: unknown, ms: number) => {
    if (scenario.faultsInjected && error instanceof ProviderError && error.retryable) {
      result.gaveUp.push({ phase, ms });
      note(`gave up (${phase}, ${ms.toFixed(0)} ms): ${error.message}`);
    } else fail(`${phase}Error`, String(error));
  };
  // A check that cannot list counts as failed (-1 never matches), not as a crash of the whole bench.
  const copiesOfRun = () =>
    scenario.verifier.listManaged().then(
      (copies) => copies.filter((c) => c.runId === run.runId).length,
      (error: unknown) => (fail("checkError", String(error)), -1),
    );
  /** Whatever happened before, the run must end with no copy; the verifier finishes a failed cleanup. */
  const mustBeGone = async () => {
    let left = await copiesOfRun();
    if (left === 0) return;
    await scenario.verifier.cleanup(run).catch(() => {});
    left = await copiesOfRun();
    if (left !== 0) fail("leftover", `${left} copies of run ${run.runId} still listed after cleanup`);
  };
  const requests = () => scenario.proxy?.stats().requests ?? 0;
  result.checked += 1;

  let before = requests();
  let start = performance.now();
  let locations: string[];
  try {
    ({ locations } = await scenario.subject.provision(run, secrets));
  } catch (error) {
    failed("provision", error, performance.now() - start);
    await scenario.verifier.cleanup(run).catch(() => {});
    return mustBeGone();
  }
  const provisionMs = performance.now() - start;
  const provisionRequests = requests() - before;

  // One copy per secret in the clouds, one store file per run for nextflow-file: what provision
  // reported is what listManaged must show.
  const stored = await copiesOfRun();
  if (locations.length === 0) fail("notProvisioned", "provision reported no location");
  else if (stored >= 0 && stored !== locations.length) {
    fail("notProvisioned", `${stored} of ${locations.length} copies listed after provision`);
  }

  before = requests();
  start = performance.now();
  try {
    await scenario.subject.cleanup(run);
  } catch (error) {
    failed("cleanup", error, performance.now() - start);
    return mustBeGone();
  }
  const cleanupMs = performance.now() - start;
  const cleanupRequests = requests() - before;

  const left = await copiesOfRun();
  if (left > 0) {
    fail("leftover", `${left} copies of run ${run.runId} still listed after cleanup`);
    await scenario.verifier.cleanup(run).catch(() => {}); // so the next iterations start clean
  }
  if (!measured) return;
  result.provisionMs.push(provisionMs);
  result.cleanupMs.push(cleanupMs);
  if (scenario.proxy) {
    result.provisionRequests.push(provisionRequests);
    result.cleanupRequests.push(cleanupRequests);
  }
}

function machine() {
  const cpus = os.cpus();
  return {
    cpuModel: cpus[0]?.model.trim() ?? "unknown",
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    /** 1-minute load average: on a shared machine, what else was running shows up here. */
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

const ms = (x: number | undefined) => (x === undefined ? "-" : x.toFixed(2));
const ratio = (x: number | undefined, base: number | undefined) =>
  x === undefined || !base ? "-" : `${(x / base).toFixed(1)}×`;

function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  "))
    .join("\n");
}

async function main(): Promise<void> {
  const { iterations, warmup, faultSeed } = benchEnv;
  const stops: Array<() => Promise<unknown>> = [];
  let stopping: Promise<void> | undefined;
  // Last started, first stopped; each stop runs even when an earlier one fails.
  const shutdown = () =>
    (stopping ??= (async () => {
      for (const stop of stops.reverse()) await stop().catch((e: unknown) => console.error(`shutdown: ${String(e)}`));
    })());
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => void shutdown().finally(() => process.exit(130)));
  }

  try {
    console.log(`bench: starting moto ${MOTO_VERSION} and ${GCP_SM_EMULATOR_NAME} on loopback…`);
    const [motoTool, gcpTool] = await Promise.all([ensureMoto(), ensureGcpSecretManagerEmulator()]);
    const moto = await startMoto({ port: await freePort(), moto: motoTool });
    stops.push(moto.stop);
    const gcp = await startGcpSecretManagerEmulator({ port: await freePort(), emulator: gcpTool });
    stops.push(gcp.stop);
    const cleanProxy = await startFaultProxy({ target: moto.endpoint, failureRate: 0 });
    stops.push(cleanProxy.stop);
    const faultProxy = await startFaultProxy({ target: moto.endpoint, failureRate: FAULT_RATE, seed: faultSeed });
    stops.push(faultProxy.stop);
    // A cloud round trip, which loopback moto lacks: what one-at-a-time versus parallel calls cost there.
    const rttProxy = await startFaultProxy({ target: moto.endpoint, failureRate: 0, latencyMs: RTT_MS });
    stops.push(rttProxy.stop);

    const runsDir = await mkdtemp(join(os.tmpdir(), "lockstep-bench-runs-"));
    stops.push(() => rm(runsDir, { recursive: true, force: true }));

    const nextflow = nextflowFileProvider({ runsDir });
    const aws = (
      prefix: string,
      endpoint: string,
      options?: { retryBaseDelayMs?: number; maxAttempts?: number; deleteConcurrency?: number },
    ) => awsSecretsManagerProvider({ region: AWS_REGION, prefix, endpoint, credentials: AWS_CREDENTIALS, ...options });
    const awsDirect = aws("bench-", moto.endpoint);
    // Each proxied scenario has its own prefix, so its verifier (straight to moto) sees only its runs.
    const awsViaCleanProxy = aws("bench-proxy-", cleanProxy.endpoint);
    const awsViaFaultProxy = aws("bench-fault-", faultProxy.endpoint, { retryBaseDelayMs: 10, maxAttempts: 5 });
    const google = googleSecretManagerProvider({
      projectId: GCP_PROJECT,
      region: GCP_REGION,
      prefix: "bench-",
      apiEndpoint: gcp.host,
      port: gcp.port,
      insecure: true,
    });
    stops.push(() => google.close());

    const nf = (shape: TShape) => `nextflow-file ${shape.label}`;
    const rtt = (deletes: number) => `aws +${RTT_MS} ms RTT, deletes ${deletes}× ${SHAPES.small.label}`;
    const scenarios: TScenario[] = [
      {
        name: nf(SHAPES.small),
        shape: SHAPES.small,
        baseline: nf(SHAPES.small),
        subject: nextflow,
        verifier: nextflow,
      },
      {
        name: `aws (moto) ${SHAPES.small.label}`,
        shape: SHAPES.small,
        baseline: nf(SHAPES.small),
        subject: awsDirect,
        verifier: awsDirect,
      },
      {
        name: `google (emulator) ${SHAPES.small.label}`,
        shape: SHAPES.small,
        baseline: nf(SHAPES.small),
        subject: google,
        verifier: google,
      },
      {
        name: `aws via 0% proxy ${SHAPES.small.label}`,
        shape: SHAPES.small,
        baseline: nf(SHAPES.small),
        subject: awsViaCleanProxy,
        verifier: aws("bench-proxy-", moto.endpoint),
        proxy: cleanProxy,
      },
      {
        name: `aws via ${FAULT_RATE * 100}% fault proxy ${SHAPES.small.label}`,
        shape: SHAPES.small,
        baseline: nf(SHAPES.small),
        subject: awsViaFaultProxy,
        verifier: aws("bench-fault-", moto.endpoint),
        proxy: faultProxy,
        faultsInjected: true,
        withoutFaults: `aws via 0% proxy ${SHAPES.small.label}`,
      },
      {
        name: rtt(1),
        shape: SHAPES.small,
        baseline: nf(SHAPES.small),
        subject: aws("bench-rtt1-", rttProxy.endpoint, { deleteConcurrency: 1 }),
        verifier: aws("bench-rtt1-", moto.endpoint),
      },
      {
        // Divided by the one-at-a-time scenario: what parallel deletes save over a real round trip.
        name: rtt(4),
        shape: SHAPES.small,
        baseline: rtt(1),
        subject: aws("bench-rtt4-", rttProxy.endpoint, { deleteConcurrency: 4 }),
        verifier: aws("bench-rtt4-", moto.endpoint),
      },
      {
        name: nf(SHAPES.large),
        shape: SHAPES.large,
        baseline: nf(SHAPES.large),
        subject: nextflow,
        verifier: nextflow,
      },
      {
        name: `aws (moto) ${SHAPES.large.label}`,
        shape: SHAPES.large,
        baseline: nf(SHAPES.large),
        subject: awsDirect,
        verifier: awsDirect,
      },
      {
        name: `google (emulator) ${SHAPES.large.label}`,
        shape: SHAPES.large,
        baseline: nf(SHAPES.large),
        subject: google,
        verifier: google,
      },
    ];
    const results = new Map<string, TScenarioResult>(
      scenarios.map((s) => [
        s.name,
        {
          provisionMs: [],
          cleanupMs: [],
          provisionRequests: [],
          cleanupRequests: [],
          checked: 0,
          failures: { provisionError: 0, cleanupError: 0, notProvisioned: 0, leftover: 0, checkError: 0 },
          gaveUp: [],
          firstErrors: [],
        },
      ]),
    );

    console.log(
      `bench: ${scenarios.length} scenarios × (${warmup} warm-up + ${iterations} measured) iterations, interleaved`,
    );
    const before = machine();
    const started = performance.now();
    for (let round = 0; round < warmup + iterations; round++) {
      for (let i = 0; i < scenarios.length; i++) {
        const scenario = scenarios[(i + round) % scenarios.length]!;
        await iterate(scenario, results.get(scenario.name)!, round >= warmup);
      }
      if ((round + 1) % 10 === 0) console.log(`bench: round ${round + 1}/${warmup + iterations}`);
    }
    const elapsedS = (performance.now() - started) / 1000;

    const summaries = scenarios.map((s) => {
      const r = results.get(s.name)!;
      return { scenario: s, result: r, provision: summarize(r.provisionMs), cleanup: summarize(r.cleanupMs) };
    });
    const byName = new Map(summaries.map((x) => [x.scenario.name, x]));

    const date = new Date();
    const info = { ...machine(), loadAverage: { start: before.loadAverage, end: machine().loadAverage } };
    const header = [
      "scenario",
      "ok/n",
      "prov med",
      "p95",
      "max",
      "×base",
      "clean med",
      "p95",
      "max",
      "×base",
      "req/prov",
      "req/clean",
      "gave up",
      "failures",
    ];
    const rows = summaries.map(({ scenario, result, provision, cleanup }) => {
      const base = byName.get(scenario.baseline)!;
      const failed = Object.values(result.failures).reduce((a, b) => a + b, 0);
      const reqs = (xs: number[]) => (scenario.proxy ? (mean(xs)?.toFixed(1) ?? "-") : "-");
      return [
        scenario.name,
        `${result.provisionMs.length}/${iterations}`,
        ms(provision?.median),
        ms(provision?.p95),
        ms(provision?.max),
        ratio(provision?.median, base.provision?.median),
        ms(cleanup?.median),
        ms(cleanup?.p95),
        ms(cleanup?.max),
        ratio(cleanup?.median, base.cleanup?.median),
        reqs(result.provisionRequests),
        reqs(result.cleanupRequests),
        scenario.faultsInjected ? String(result.gaveUp.length) : "-",
        failed === 0
          ? "0"
          : Object.entries(result.failures)
              .filter(([, n]) => n > 0)
              .map(([k, n]) => `${k}=${n}`)
              .join(","),
      ];
    });

    const faultStats: TFaultStats = faultProxy.stats();
    console.log("");
    console.log(`Lockstep secrets providers: provision → cleanup latency (ms), ${date.toISOString()}`);
    console.log(
      `${info.cpuModel}, ${info.cores} cores, ${info.memoryGiB} GiB, ${info.os}, Node ${info.node}; ` +
        `load average ${info.loadAverage.start} → ${info.loadAverage.end}`,
    );
    console.log(
      `moto ${MOTO_VERSION}, ${GCP_SM_EMULATOR_NAME}, all on 127.0.0.1; nextflow-file runsDir on ${os.tmpdir()}`,
    );
    console.log(
      `${warmup} warm-up + ${iterations} measured iterations per scenario, interleaved; ${elapsedS.toFixed(1)} s in all`,
    );
    console.log(
      "×base: median ÷ its baseline (nextflow-file for the same secrets; for deletes 4×, the deletes 1× run); req/*: mean HTTP requests per operation (proxied only);",
    );
    console.log(
      "gave up: retryable ProviderError after maxAttempts under injected faults (the worker would retry the job)",
    );
    console.log("");
    console.log(table([header, ...rows]));
    console.log("");
    console.log(
      `fault proxy (seed ${faultSeed}): ${faultStats.requests} requests, ${faultStats.injectedBefore} failed before reaching moto, ` +
        `${faultStats.injectedAfter} after moto acted; by kind ${JSON.stringify(faultStats.byKind)}`,
    );
    const retryCosts = summaries.flatMap(({ scenario, provision, cleanup }) => {
      const clean = scenario.withoutFaults ? byName.get(scenario.withoutFaults) : undefined;
      if (!clean) return [];
      const cost = {
        scenario: scenario.name,
        against: clean.scenario.name,
        provisionMedianRatio: provision && clean.provision ? round2(provision.median / clean.provision.median) : null,
        cleanupMedianRatio: cleanup && clean.cleanup ? round2(cleanup.median / clean.cleanup.median) : null,
        provisionP95Ratio: provision && clean.provision ? round2(provision.p95 / clean.provision.p95) : null,
        cleanupP95Ratio: cleanup && clean.cleanup ? round2(cleanup.p95 / clean.cleanup.p95) : null,
      };
      const x = (v: number | null) => (v === null ? "-" : `${v.toFixed(1)}×`);
      console.log(
        `retry cost (${scenario.name} ÷ ${clean.scenario.name}): provision median ${x(cost.provisionMedianRatio)}, ` +
          `p95 ${x(cost.provisionP95Ratio)}; cleanup median ${x(cost.cleanupMedianRatio)}, p95 ${x(cost.cleanupP95Ratio)}`,
      );
      return [cost];
    });
    const totalFailures = summaries.reduce(
      (n, x) => n + Object.values(x.result.failures).reduce((a, b) => a + b, 0),
      0,
    );
    const checked = summaries.reduce((n, x) => n + x.result.checked, 0);
    console.log(
      `checks: ${checked} iterations verified (copies listed after provision, none after cleanup), ${totalFailures} failures`,
    );
    for (const { scenario, result } of summaries) {
      for (const e of result.firstErrors) console.log(`  ${scenario.name}: ${e}`);
    }

    const resultsDir = join(benchDir, "results");
    await mkdir(resultsDir, { recursive: true });
    const file = join(resultsDir, `providers-${date.toISOString().slice(0, 10)}.json`);
    const report = {
      benchmark: "secrets providers: provision → cleanup latency",
      date: date.toISOString(),
      machine: info,
      emulators: { moto: MOTO_VERSION, google: GCP_SM_EMULATOR_NAME, runsDir: os.tmpdir() },
      settings: {
        warmup,
        iterations,
        interleaved: true,
        faultRate: FAULT_RATE,
        faultSeed,
        faultRetry: { retryBaseDelayMs: 10, maxAttempts: 5 },
      },
      elapsedSeconds: Math.round(elapsedS * 10) / 10,
      scenarios: summaries.map(({ scenario, result, provision, cleanup }) => {
        const base = byName.get(scenario.baseline)!;
        const r = (x: number | undefined, b: number | undefined) =>
          x === undefined || !b ? null : Math.round((x / b) * 100) / 100;
        return {
          name: scenario.name,
          provider: scenario.subject.kind,
          secrets: scenario.shape.id,
          baseline: scenario.baseline,
          measured: result.provisionMs.length,
          provision: provision && { ...provision, ratioToBaseline: r(provision.median, base.provision?.median) },
          cleanup: cleanup && { ...cleanup, ratioToBaseline: r(cleanup.median, base.cleanup?.median) },
          requestsPerProvision: scenario.proxy ? round2(mean(result.provisionRequests) ?? NaN) : null,
          requestsPerCleanup: scenario.proxy ? round2(mean(result.cleanupRequests) ?? NaN) : null,
          checked: result.checked,
          failures: result.failures,
          gaveUp: result.gaveUp.map((g) => ({ phase: g.phase, ms: round3(g.ms) })),
          firstErrors: result.firstErrors,
          samples: {
            provisionMs: result.provisionMs.map(round3),
            cleanupMs: result.cleanupMs.map(round3),
          },
        };
      }),
      faultProxy: faultStats,
      retryCost: retryCosts,
    };
    // Formatted as `pnpm format` would, so committing the figures never drags a reformat along.
    await writeFile(file, await format(JSON.stringify(report), { ...(await resolveConfig(file)), parser: "json" }));
    console.log(`\nwritten to ${relative(process.cwd(), file)}`);
    if (totalFailures > 0) process.exitCode = 1;
  } finally {
    await shutdown();
  }
}

await main();
