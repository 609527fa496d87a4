/**
 * `npm run bench:system`: a whole Lockstep instance measured against its baselines, side by side
 * in one run (bench/README.md says how to read the table).
 *
 * It starts its own instance as `npm start` does — an embedded Postgres, a private Redis, the web
 * app (`next start`, built first if its sources changed) and the worker (`src/main.ts`) — on free
 * ports under a temporary data directory, seeds it (1,000 secrets, 100,000 runs), and measures:
 *
 *   1. API reads at concurrency 1 and 50: the secrets list and a page of 50 runs, against
 *      /api/health (the web's floor) and the same SQL issued directly (token lookup, access check,
 *      the page: the database's floor).
 *   2. launch → provisioned with 20 secrets, against 20 × `nextflow secrets set` by hand.
 *   3. head exit → FINISHED and → secrets deleted for local runs (real Nextflow, sandboxed).
 *   4. sustained launches per second through the whole lifecycle (AWS Batch on moto: provision
 *      two secrets, submit, monitor, delete), one worker vs two.
 *
 * Writes bench/results/system-<date>.json. Stops everything at the end, on error and on Ctrl-C.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { cpus, homedir, loadavg, tmpdir, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath, pathToFileURL } from "node:url";
import { createCaller } from "@lockstep/api";
import { createRateLimiter, hashAccessToken } from "@lockstep/auth";
import { SealingKeyring } from "@lockstep/crypto";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { createDatabase, createUserWithPersonalWorkspace, eq, getRun, schema, sql, type TRun } from "@lockstep/db";
import { runMigrations } from "@lockstep/db/migrate";
import {
  ensureDevKeys,
  ensureMoto,
  freePort,
  markWebBuilt,
  prepareMotoBatch,
  startEmbeddedPostgres,
  startMoto,
  startPrivateRedis,
  webBuildIsCurrent,
  webSourceFingerprint,
} from "@lockstep/devstack";
import { installNextflow, NEXTFLOW_VERSION, nextflowJavaCommand } from "@lockstep/launcher";
import { createQueues, createRedis } from "@lockstep/queue";
import { benchEnv, benchOnly, inheritedEnv } from "./env";

const benchDir = dirname(fileURLToPath(import.meta.url));
const root = join(benchDir, "..");
const fixtures = join(root, "e2e/fixtures/pipelines");
const data = mkdtempSync(join(tmpdir(), "lockstep-bench-system-"));
chmodSync(data, 0o711);
const stops: Array<() => Promise<void> | void> = [];
const say = (line: string) => process.stdout.write(`[bench] ${line}\n`);
/** `BENCH_ONLY=finish`: only the local runs (no web, reads, `nextflow secrets set` by hand or cloud runs). */
const full = benchOnly === null;

async function stopAll() {
  for (const stop of stops.reverse()) await Promise.resolve(stop()).catch(() => {});
  stops.length = 0;
  rmSync(data, { recursive: true, force: true });
}
process.on("SIGINT", () => void stopAll().then(() => process.exit(130)));

// ── statistics ──────────────────────────────────────────────────────────────────────────────

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
function summary(samples: number[], wallMs?: number) {
  const s = [...samples].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    n: s.length,
    p50: round(pct(s, 50)),
    p99: round(pct(s, 99)),
    mean: round(s.reduce((a, b) => a + b, 0) / Math.max(1, s.length)),
    ...(wallMs ? { perSecond: round((s.length / wallMs) * 1000) } : {}),
  };
}

/** `total` calls of `call` with `concurrency` in flight; latency per call and throughput over the wall time. */
async function load(call: () => Promise<void>, concurrency: number, total: number) {
  const samples: number[] = [];
  let next = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        next++;
        const t = performance.now();
        await call();
        samples.push(performance.now() - t);
      }
    }),
  );
  return summary(samples, performance.now() - start);
}

// ── the instance ────────────────────────────────────────────────────────────────────────────

function child(
  name: string,
  command: string,
  args: string[],
  opts: { cwd: string; env: Record<string, string | undefined> },
): ChildProcess {
  const logFile = join(data, `${name}.log`);
  const out: string[] = [];
  const p = spawn(command, args, {
    cwd: opts.cwd,
    env: opts.env as NodeJS.ProcessEnv,
    stdio: ["ignore", "pipe", "pipe"],
    detached: false,
  });
  p.stdout!.on("data", (d: Buffer) => out.push(d.toString("utf8")));
  p.stderr!.on("data", (d: Buffer) => out.push(d.toString("utf8")));
  stops.push(
    () =>
      new Promise<void>((resolve) => {
        writeFileSync(logFile, out.join(""));
        if (p.exitCode !== null) return resolve();
        p.once("exit", () => resolve());
        p.kill("SIGTERM");
        setTimeout(() => p.kill("SIGKILL"), 10_000).unref();
      }),
  );
  return p;
}

async function waitHealthy(url: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url, { signal: AbortSignal.timeout(2_000) })).ok) return;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline)
      throw new Error(`${url} did not become healthy within ${timeoutMs / 1000} s (logs in ${data})`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function main() {
  const loadAtStart = loadavg().map((l) => Math.round(l * 100) / 100);
  const machine = {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model ?? "?",
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  };
  say(`data in ${data}`);
  const pg = await startEmbeddedPostgres({ dataDir: join(data, "postgres"), port: await freePort(), quiet: true });
  stops.push(pg.stop);
  const redis = await startPrivateRedis({ dir: join(data, "redis"), port: await freePort() });
  stops.push(redis.stop);
  await runMigrations(pg.url);
  const keys = await ensureDevKeys(join(data, "dev-keys.json"));
  const openKeysFile = join(data, "worker-open-keys");
  writeFileSync(openKeysFile, `${keys.openKeys}\n`, { mode: 0o600 });
  // The worker's fingerprint key (the web never gets it), as npm start makes one.
  const fingerprintKeyFile = join(data, "worker-fingerprint-key");
  writeFileSync(fingerprintKeyFile, `${FingerprintKey.generateSpec("bench-fp")}\n`, { mode: 0o600 });
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION, say);

  const webDir = join(root, "apps/web");
  if (full && !webBuildIsCurrent(root)) {
    say("building the web app (its sources changed since the last build)…");
    const build = spawnSync(process.execPath, [join(webDir, "node_modules/next/dist/bin/next"), "build"], {
      cwd: webDir,
      stdio: "inherit",
      env: { ...inheritedEnv, NEXT_TELEMETRY_DISABLED: "1" },
    });
    if (build.status !== 0) throw new Error(`next build failed (exit ${build.status})`);
    markWebBuilt(root, webSourceFingerprint(root));
  }
  const webPort = await freePort();
  const base = `http://127.0.0.1:${webPort}`;
  const shared = {
    PATH: inheritedEnv.PATH,
    HOME: inheritedEnv.HOME,
    NODE_ENV: "production",
    NEXT_TELEMETRY_DISABLED: "1",
    DATABASE_URL: pg.url,
    REDIS_URL: redis.url,
    LOCKSTEP_LOCAL_PIPELINE_ROOTS: fixtures,
  };
  if (full)
    child(
      "web",
      process.execPath,
      [
        "--import",
        pathToFileURL(join(webDir, "front-door.mjs")).href,
        join(webDir, "node_modules/next/dist/bin/next"),
        "start",
        "-p",
        String(webPort),
      ],
      {
        cwd: webDir,
        env: {
          ...shared,
          NEXTAUTH_URL: base,
          NEXTAUTH_SECRET: keys.authSecret,
          LOCKSTEP_SEAL_KEYS: keys.sealKeys,
          LOCKSTEP_TRUST_PROXY: "false",
        },
      },
    );
  const startWorker = async (name: string, prefix: string) => {
    const port = await freePort();
    child(name, process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: join(root, "apps/worker"),
      env: {
        ...shared,
        LOCKSTEP_QUEUE_PREFIX: prefix,
        LOCKSTEP_SEAL_KEYS: keys.sealKeys,
        LOCKSTEP_OPEN_KEYS_FILE: openKeysFile,
        LOCKSTEP_FINGERPRINT_KEY_FILE: fingerprintKeyFile,
        LOCKSTEP_DATA_DIR: data,
        WORKER_PORT: String(port),
        LOG_LEVEL: "warn",
      },
    });
    await waitHealthy(`http://127.0.0.1:${port}/health`, 120_000);
  };
  await startWorker("worker", "lockstep");
  if (full) await waitHealthy(`${base}/api/health`, 120_000);
  say("instance up");

  // ── seed ──────────────────────────────────────────────────────────────────────────────────
  const { db, close } = createDatabase(pg.url, { max: 60, applicationName: "bench" });
  stops.push(close);
  const producer = createRedis(redis.url, "producer");
  stops.push(() => void producer.disconnect());
  const queues = createQueues(producer, "lockstep");
  stops.push(() => queues.close());
  const sealing = await SealingKeyring.fromSpec(keys.sealKeys);
  const user = (await createUserWithPersonalWorkspace(db, {
    email: `bench-${randomUUID()}@example.test`,
    name: "Bench",
    passwordHash: null,
  }))!;
  await db.update(schema.users).set({ isInstanceAdmin: true }).where(eq(schema.users.id, user.id));
  const caller = (queuesFor = queues) =>
    createCaller({
      db,
      pingRedis: async () => 0,
      limiter: createRateLimiter(producer, `bench-${randomUUID().slice(0, 8)}`),
      sealing,
      queues: queuesFor,
      identity: { userId: user.id, via: "session" },
      config: { signup: "invite", localPipelineRoots: [fixtures], tokenMaxDays: 90 },
      ip: null,
      userAgent: "bench",
    });
  const api = caller();
  const org = await api.orgs.create({ name: "Bench", slug: `bench-${user.id.slice(0, 8)}` });
  const ws = await api.workspaces.create({ orgId: org.id, name: "Bench" });
  // The local runs use SECRET_0001…0019: BENCH_ONLY=finish seeds just those.
  const seededSecrets = full ? 1000 : 20;
  say(`seeding ${seededSecrets} secrets…`);
  for (let i = 0; i < seededSecrets; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, seededSecrets - i) }, (_, j) =>
        api.secrets.create({
          workspaceId: ws.id,
          name: `SECRET_${String(i + j).padStart(4, "0")}`,
          value: { plain: `bench-value-${i + j}-${randomUUID()}` },
        }),
      ),
    );
  }
  say("seeding 100,000 runs…");
  await db.execute(sql`
    insert into runs (workspace_id, status, secrets_state, pipeline_name, repository, compute_env_name, compute_env_kind, submitted_at, finished_at, deadline_at, launched_by)
    select ${ws.id}, 'SUCCEEDED', 'DELETED', 'seeded', 'https://example.test/p', 'Local', 'local', now() - make_interval(secs => i), now() - make_interval(secs => i), now(), ${user.id}
    from generate_series(1, 100000) as i`);
  await db.execute(sql`analyze`);
  const reads: Record<string, unknown> = full ? {} : { skipped: `BENCH_ONLY=${benchOnly}` };
  if (full) {
    const { token } = await api.me.tokens.create({ name: "bench", scopes: ["read"] });
    const auth = { authorization: `Bearer ${token}` };

    // ── 1. API reads ──────────────────────────────────────────────────────────────────────────
    const trpcGet = (procedure: string, input: unknown) =>
      `${base}/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
    const fetchOk = async (url: string, headers: Record<string, string> = {}) => {
      const r = await fetch(url, { headers });
      const body = await r.arrayBuffer();
      if (!r.ok)
        throw new Error(
          `${url.split("?")[0]} answered ${r.status}: ${Buffer.from(body).toString("utf8").slice(0, 300)}`,
        );
      return body.byteLength;
    };
    // The secrets list: a page of 50 where the API pages it (issue #15), the whole list where it does not yet.
    const secretsInput: Record<string, unknown> = { workspaceId: ws.id, limit: 50 };
    const listed = (await (await fetch(trpcGet("secrets.list", secretsInput), { headers: auth })).json()) as {
      result?: { data?: { json?: unknown } };
    };
    const page = listed.result?.data?.json;
    const secretsReturned = Array.isArray(page)
      ? page.length
      : Array.isArray((page as { items?: unknown[] } | undefined)?.items)
        ? (page as { items: unknown[] }).items.length
        : -1;
    const secretsBytes = await fetchOk(trpcGet("secrets.list", secretsInput), auth);
    const runsUrl = trpcGet("runs.list", { workspaceId: ws.id, limit: 50 });
    const runsBytes = await fetchOk(runsUrl, auth);
    // The same work issued straight to Postgres: the token lookup, the access check, the page.
    const tokenHash = hashAccessToken(token);
    const directPrologue = async () => {
      await db.execute(sql`select id, user_id, scopes, expires_at from access_tokens where token_hash = ${tokenHash}`);
      await db.execute(
        sql`select role from workspace_participants where workspace_id = ${ws.id} and user_id = ${user.id}`,
      );
    };
    const directSecrets = async () => {
      await directPrologue();
      await db.execute(
        sql`select id, name, created_at, updated_at, last_used_at, value_problem from secrets where workspace_id = ${ws.id} and scope = 'workspace' order by name ${secretsReturned <= 50 ? sql`limit 50` : sql``}`,
      );
    };
    const directRuns = async () => {
      await directPrologue();
      await db.execute(
        sql`select * from runs where workspace_id = ${ws.id} order by submitted_at desc, id desc limit 50`,
      );
    };
    Object.assign(reads, {
      secretsReturned,
      secretsResponseBytes: secretsBytes,
      runsResponseBytes: runsBytes,
    });
    for (const concurrency of [1, 50]) {
      const total = concurrency === 1 ? benchEnv.iterations * 5 : benchEnv.iterations * 20;
      for (let i = 0; i < benchEnv.warmup * 5; i++)
        await Promise.all([
          fetchOk(`${base}/api/health`),
          fetchOk(runsUrl, auth),
          fetchOk(trpcGet("secrets.list", secretsInput), auth),
        ]);
      reads[`c${concurrency}`] = {
        health: await load(async () => void (await fetchOk(`${base}/api/health`)), concurrency, total),
        secretsApi: await load(
          async () => void (await fetchOk(trpcGet("secrets.list", secretsInput), auth)),
          concurrency,
          total,
        ),
        secretsSql: await load(directSecrets, concurrency, total),
        runsApi: await load(async () => void (await fetchOk(runsUrl, auth)), concurrency, total),
        runsSql: await load(directRuns, concurrency, total),
      };
      say(`reads at concurrency ${concurrency} done`);
    }
  }

  // ── 2. launch → provisioned with 20 secrets, vs 20 × `nextflow secrets set` ───────────────────
  const workDir = join(data, "runs");
  mkdirSync(workDir, { mode: 0o755 });
  chmodSync(workDir, 0o755);
  const ce = await api.computeEnvs.create({
    workspaceId: ws.id,
    computeEnv: { kind: "local", name: "Local", workDir, nextflowVersion: NEXTFLOW_VERSION },
  });
  const pipeline = await api.pipelines.create({
    workspaceId: ws.id,
    pipeline: { name: "fakes-exit", repository: join(fixtures, "fakes-exit"), defaultComputeEnvId: ce.id },
  });
  const twenty = Array.from({ length: 20 }, (_, i) => `SECRET_${String(i).padStart(4, "0")}`);
  twenty[0] = "DB_PASSWORD";
  await api.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: `bench-db-${randomUUID()}` } });
  const waitRun = async (id: string, done: (r: TRun) => boolean, timeoutMs = 300_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const run = (await getRun(db, id))!;
      if (done(run)) return run;
      if (Date.now() > deadline)
        throw new Error(`run ${id} stuck at ${run.status}/${run.secretsState}: ${run.errorMessage ?? ""}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const settled = (r: TRun) =>
    ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"].includes(r.status) &&
    ["DELETED", "NONE", "CLEANUP_FAILED"].includes(r.secretsState);
  const launchRuns = benchEnv.runs;
  const provisionMs: number[] = [];
  const finishedMs: number[] = [];
  const deletedMs: number[] = [];
  const redactedMs: number[] = [];
  const bad: string[] = [];
  say(`launching ${launchRuns} local runs with 20 secrets each…`);
  for (let i = 0; i < launchRuns; i++) {
    const launched = await api.runs.launch({
      workspaceId: ws.id,
      pipelineId: pipeline.id,
      params: { seconds: 1 },
      secrets: { mode: "selected", names: twenty },
    });
    const provisioned = await waitRun(launched.id, (r) => r.provisionedAt !== null || settled(r));
    if (provisioned.provisionedAt)
      provisionMs.push(provisioned.provisionedAt.getTime() - provisioned.submittedAt.getTime());
    const run = await waitRun(launched.id, settled);
    if (run.status !== "SUCCEEDED" || run.secretsState !== "DELETED") {
      bad.push(`${run.status}/${run.secretsState}: ${run.errorMessage ?? ""}`);
      continue;
    }
    // The head script writes the exit code file as its last act: its mtime is the head's exit.
    const exited = statSync(join(run.runDir!, "exitcode")).mtimeMs;
    finishedMs.push(run.finishedAt!.getTime() - exited);
    deletedMs.push(run.secretsDeletedAt!.getTime() - exited);
    // The log files are redacted after the store's copies are gone, before the run is recorded DELETED.
    if (run.redaction) redactedMs.push(new Date(run.redaction.at).getTime() - exited);
  }
  if (full) say("20 × nextflow secrets set…");
  const nxfHome = join(data, "nxf-home");
  mkdirSync(nxfHome);
  const byHand: number[] = [];
  for (let round = 0; round < (full ? benchEnv.byHandRounds : 0); round++) {
    const t = performance.now();
    for (const name of twenty) {
      const [java, ...args] = nextflowJavaCommand(libDir);
      const r = spawnSync(java!, [...args, "secrets", "set", `${name}_${round}`, `value-${randomUUID()}`], {
        env: { ...inheritedEnv, NXF_HOME: nxfHome, NXF_OFFLINE: "true" },
        encoding: "utf8",
      });
      if (r.status !== 0) throw new Error(`nextflow secrets set failed: ${r.stderr.slice(0, 300)}`);
    }
    byHand.push(performance.now() - t);
  }

  const throughput: Record<string, unknown> = {};
  if (full) {
    // ── 4. sustained launches per second, one worker vs two (AWS Batch on moto) ────────────────
    const moto = await startMoto({ port: await freePort(), moto: await ensureMoto() });
    stops.push(moto.stop);
    const region = "eu-west-1";
    const batch = await prepareMotoBatch(moto.endpoint, { region, name: "bench" });
    const cred = await api.credentials.create({
      workspaceId: ws.id,
      name: "aws",
      provider: "aws",
      value: {
        plain: JSON.stringify({
          accessKeyId: "AKIAIOSFODNN7EXAMPLE",
          secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        }),
      },
    });
    const cloudCe = await api.computeEnvs.create({
      workspaceId: ws.id,
      computeEnv: {
        kind: "aws-batch",
        name: "AWS Batch",
        workDir: "s3://lockstep-bench/runs",
        nextflowVersion: NEXTFLOW_VERSION,
        config: {
          region,
          jobQueue: batch.jobQueue,
          executionRoleArn: batch.executionRoleArn,
          headImage: "public.ecr.aws/seqera-labs/nextflow:24.10.8",
          secretPrefix: "bench/",
          credentialId: cred.id,
        },
      },
    });
    const cloudPipeline = await api.pipelines.create({
      workspaceId: ws.id,
      pipeline: { name: "hello", repository: "https://github.com/nextflow-io/hello", defaultComputeEnvId: cloudCe.id },
    });
    const sealKeys = keys.sealKeys;
    for (const workers of [1, 2]) {
      // Workers of their own queue prefix, with the moto endpoint (apps/worker/src/test/worker-process.ts).
      const prefix = `bench-${workers}w`;
      for (let i = 0; i < workers; i++) {
        const p = child(
          `cloud-worker-${workers}-${i}`,
          process.execPath,
          ["--import", "tsx", "src/test/worker-process.ts"],
          {
            cwd: join(root, "apps/worker"),
            env: {
              PATH: inheritedEnv.PATH,
              AWS_ACCESS_KEY_ID: "testing",
              AWS_SECRET_ACCESS_KEY: "testing",
              LOCKSTEP_TEST_WORKER: JSON.stringify({
                databaseUrl: pg.url,
                redisUrl: redis.url,
                prefix,
                sealKeys,
                openKeysFile,
                fingerprintKeyFile,
                awsEndpoint: moto.endpoint,
                monitorIntervalMs: 2_000,
                concurrency: 8,
              }),
            },
          },
        );
        await new Promise<void>((resolve, reject) => {
          let out = "";
          p.stdout!.on("data", (d: Buffer) => {
            out += d.toString("utf8");
            if (out.includes("test worker ready")) resolve();
          });
          p.once("exit", (code) => reject(new Error(`cloud worker exited (${code})`)));
        });
      }
      const cloudQueues = createQueues(producer, prefix);
      const cloudApi = caller(cloudQueues);
      const n = benchEnv.cloudRuns;
      const t = performance.now();
      const ids: string[] = [];
      for (let i = 0; i < n; i++)
        ids.push(
          (
            await cloudApi.runs.launch({
              workspaceId: ws.id,
              pipelineId: cloudPipeline.id,
              secrets: { mode: "selected", names: twenty.slice(0, 2) },
            })
          ).id,
        );
      const launchedMs = performance.now() - t;
      const ended = await Promise.all(ids.map((id) => waitRun(id, settled, 600_000)));
      const wallMs = performance.now() - t;
      const ok = ended.filter((r) => r.status === "SUCCEEDED" && r.secretsState === "DELETED").length;
      throughput[`${workers}w`] = {
        runs: n,
        ok,
        launchedPerSecond: Math.round((n / launchedMs) * 100000) / 100,
        completedPerSecond: Math.round((n / wallMs) * 100000) / 100,
        wallSeconds: Math.round(wallMs / 10) / 100,
      };
      await cloudQueues.close();
      say(`${workers} worker(s): ${n} cloud runs through the lifecycle in ${(wallMs / 1000).toFixed(1)} s`);
    }
  }

  const results = {
    date: new Date().toISOString(),
    machine: {
      ...machine,
      loadAverage1m5m15m: { start: loadAtStart, end: loadavg().map((l) => Math.round(l * 100) / 100) },
    },
    settings: {
      only: benchOnly,
      iterations: benchEnv.iterations,
      localRuns: launchRuns,
      cloudRuns: benchEnv.cloudRuns,
      seeded: { secrets: seededSecrets, runs: 100_000 },
    },
    reads,
    launch: {
      provisionedMs: summary(provisionMs),
      byHandTwentySecretsSetMs: summary(byHand),
      ratio:
        Math.round(
          (pct(
            [...byHand].sort((a, b) => a - b),
            50,
          ) /
            pct(
              [...provisionMs].sort((a, b) => a - b),
              50,
            )) *
            10,
        ) / 10,
    },
    finish: {
      headExitToFinishedMs: summary(finishedMs),
      headExitToDeletedMs: summary(deletedMs),
      headExitToLogsRedactedMs: summary(redactedMs),
      failedRuns: bad,
    },
    throughput,
  };
  const out = join(benchDir, "results", `system-${results.date.slice(0, 10)}${full ? "" : `-${benchOnly}`}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(results, null, 2)}\n`);
  say(`wrote ${out}`);
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  return bad.length === 0;
}

main()
  .then(async (ok) => {
    await stopAll();
    process.exit(ok ? 0 : 1);
  })
  .catch(async (error: unknown) => {
    process.stderr.write(
      `[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    await stopAll();
    process.exit(1);
  });
