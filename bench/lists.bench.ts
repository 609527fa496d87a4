/**
 * A page of a list, served through the real API stack, against its floor (issue #15):
 *
 *   node --import tsx bench/lists.bench.ts        (or `npm run bench:lists` from the root)
 *
 * Scenarios, each at the same concurrency, interleaved in rounds, from a load generator in a worker
 * thread (load-worker.mjs) against one node:http server:
 * - `health`: a GET answered with one `select 1` (the web's /api/health minus its Redis ping);
 * - `secrets.list` / `runs.list`: a page of 50 over HTTP with a bearer token, through tRPC's fetch
 *   adapter, the real router, authentication (identityFromToken) and superjson;
 * - `floor(...)`: a GET answered with what `health` does, then the very statements that list request
 *   sent (captured on the wire: token lookup, access check, the page), replayed one after the other
 *   as prepared statements on the same pool.
 *
 * Goal: each list serves at least half the floor's throughput, and its p99 stays within 10× the
 * health check's. The server here is a plain node:http server around the API's fetch handler, not
 * Next.js: the same router, context and wire format without Next's routing layer (see README).
 *
 * Exported as `benchLists` so the system benchmark (`bench:system`) can run it on its own instance.
 */
import { randomUUID } from "node:crypto";
import { mkdir, writeFile } from "node:fs/promises";
import { createServer, Agent, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { loadavg } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { Worker } from "node:worker_threads";
import { freePort, startEmbeddedPostgres } from "@lockstep/devstack";
// By path: bench/ is not a workspace package, and each package exports its source.
import { appRouter, identityFromToken, type TContext } from "../packages/api/src/index";
import { generateAccessToken } from "../packages/auth/src/index";
import {
  createDatabase,
  insertAccessToken,
  pingDatabase,
  sql as dsql,
  touchAccessToken,
  type TDatabase,
} from "../packages/db/src/index";
import { runMigrations } from "../packages/db/src/migrate";
import { listsEnv } from "./env";

const benchDir = dirname(fileURLToPath(import.meta.url));
// The fetch adapter comes from the API package's own dependency (the root does not depend on tRPC).
const fromApi = createRequire(join(benchDir, "../packages/api/package.json"));
type TFetchHandler = (opts: {
  endpoint: string;
  req: Request;
  router: typeof appRouter;
  createContext: () => Promise<TContext>;
}) => Promise<Response>;
const { fetchRequestHandler } = (await import(fromApi.resolve("@trpc/server/adapters/fetch"))) as {
  fetchRequestHandler: TFetchHandler;
};

export type TScenarioResult = {
  scenario: string;
  requests: number;
  seconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  /**
   * CPU of this Node process per request, in ms (process.cpuUsage over the scenario's bursts): the
   * server's work plus the load generator's, not Postgres'. Much steadier than req/s on a shared machine.
   */
  nodeCpuMsPerRequest: number;
  /** The first error's message, if any failed. */
  firstError: string | null;
};
export type TListsBenchResult = {
  at: string;
  concurrency: number;
  requests: number;
  rounds: number;
  seeded: { secrets: number; runs: number };
  statementsPerRequest: Record<string, number>;
  /** Bytes of one answer (a page of 50), as sent. */
  pageBytes: Record<string, number>;
  scenarios: TScenarioResult[];
  goals: Array<{
    list: string;
    throughputVsFloor: number;
    p99VsHealth: number;
    meetsThroughput: boolean;
    meetsP99: boolean;
    /** Node CPU per request, the list's over its floor's (informational: Postgres' share is not in it). */
    nodeCpuVsFloor: number;
  }>;
  /** os.loadavg()[0] when the measurement started and ended (2 cores: above 2 the machine was shared). */
  loadAverage: { start: number; end: number };
  /** The node flags the bench ran with (NODE_OPTIONS and the command line: both sides share them) and its peak resident memory. */
  node: { flags: string[]; maxRssMb: number };
};

/** A context field the list procedures never touch: using one is a bug in the benchmark, so it throws. */
function unused<T>(name: string): T {
  return new Proxy(
    {},
    {
      get: () => {
        throw new Error(`bench: ${name} is not used by list procedures`);
      },
    },
  ) as T;
}

async function seed(db: TDatabase, secrets: number, runs: number) {
  const tag = randomUUID().slice(0, 8);
  const [user] = await db.execute<{ id: string }>(
    dsql`insert into users (email, name) values (${`bench-${tag}@example.test`}, 'Bench') returning id`,
  );
  const [org] = await db.execute<{ id: string }>(
    dsql`insert into organizations (name, slug) values (${`Bench ${tag}`}, ${`bench-${tag}`}) returning id`,
  );
  await db.execute(dsql`insert into org_members (org_id, user_id, role) values (${org!.id}, ${user!.id}, 'owner')`);
  const [ws] = await db.execute<{ id: string }>(
    dsql`insert into workspaces (org_id, name, slug, visibility) values (${org!.id}, 'Bench', ${`bench-${tag}`}, 'private') returning id`,
  );
  await db.execute(
    dsql`insert into workspace_participants (workspace_id, user_id, role) values (${ws!.id}, ${user!.id}, 'owner')`,
  );
  await db.execute(dsql`insert into secrets (scope, workspace_id, name, sealed, key_id, created_by, updated_by)
    select 'workspace', ${ws!.id}, 'SECRET_' || lpad(g::text, 5, '0'), 'not-a-real-envelope', 'bench', ${user!.id}, ${user!.id} from generate_series(1, ${secrets}) g`);
  for (let done = 0; done < runs; done += 10_000) {
    const n = Math.min(10_000, runs - done);
    await db.execute(dsql`insert into runs (workspace_id, launched_by, pipeline_name, repository, compute_env_name, compute_env_kind, status, secrets_state, submitted_at, deadline_at)
      select ${ws!.id}, ${user!.id}, 'bench-pipeline', 'https://example.test/p', 'ce', 'local', 'SUCCEEDED', 'DELETED', now() - (${done} + g) * interval '1 second', now() + interval '1 day'
      from generate_series(1, ${n}) g`);
  }
  await db.execute(dsql`analyze`);
  const t = generateAccessToken();
  await insertAccessToken(db, {
    userId: user!.id,
    name: "bench",
    prefix: t.prefix,
    tokenHash: t.tokenHash,
    scopes: ["read"],
    expiresAt: new Date(Date.now() + 86_400_000),
  });
  return { workspaceId: ws!.id, token: t.token };
}

type TSql = ReturnType<typeof createDatabase>["sql"];
/** The statements one list request sent, captured on the wire, replayed by the floor's route. */
type TStatements = Array<{ query: string; parameters: unknown[] }>;

function startServer(
  db: TDatabase,
  sql: TSql,
  floors: Map<string, TStatements>,
): Promise<{ server: Server; port: number }> {
  // A rejected answer becomes a 500 (the bench counts it) instead of an unhandled rejection.
  const server = createServer((req, res) => void answer(req, res).catch(() => res.writeHead(500).end()));
  async function answer(req: IncomingMessage, res: ServerResponse) {
    if (req.url === "/health") {
      await pingDatabase(db);
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    // The floor: what /health does, then the list's statements one after the other, as prepared
    // statements (as the API sends them: packages/db/src/queries/prepared.ts), and the same tiny answer.
    const statements = req.url?.startsWith("/floor/") ? floors.get(req.url.slice("/floor/".length)) : undefined;
    if (statements) {
      await pingDatabase(db);
      for (const s of statements) await sql.unsafe(s.query, s.parameters as never[], { prepare: true });
      res.writeHead(200, { "content-type": "application/json" }).end('{"status":"ok"}');
      return;
    }
    const url = `http://localhost${req.url}`;
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request(url, { method: req.method, headers: req.headers as Record<string, string> }),
      router: appRouter,
      createContext: async (): Promise<TContext> => ({
        db,
        identity: await identityFromToken(
          db,
          (req.headers.authorization ?? "").replace(/^Bearer\s+/i, ""),
          "127.0.0.1",
        ),
        pingRedis: async () => 0,
        limiter: unused("limiter"),
        sealing: unused("sealing"),
        queues: unused("queues"),
        config: { signup: "invite", localPipelineRoots: [], tokenMaxDays: 90 },
        ip: "127.0.0.1",
        userAgent: "bench",
      }),
    });
    res.writeHead(response.status, Object.fromEntries(response.headers));
    res.end(Buffer.from(await response.arrayBuffer()));
  }
  return new Promise((resolve) =>
    server.listen(0, "127.0.0.1", () => resolve({ server, port: (server.address() as { port: number }).port })),
  );
}

function get(
  agent: Agent,
  port: number,
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, agent, headers }, (res: IncomingMessage) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** What the load generator (load-worker.mjs) is asked for, and answers. */
type TBurst = { path: string; headers: Record<string, string>; requests: number };
type TSamples = { times: number[]; seconds: number; errors: number; firstError: string | null };
type TBurstSamples = TSamples & { cpuMicros: number };

/** The load generator: a worker thread (load-worker.ts), so the client's work is not the server's. */
function startLoad(port: number, concurrency: number) {
  const worker = new Worker(new URL("./load-worker.mjs", import.meta.url), { workerData: { port, concurrency } });
  const failed = new Promise<never>((_, reject) => worker.once("error", reject));
  return {
    /** `requests` GETs of `path`, `concurrency` at once; a non-200 answer counts as an error, its time left out. */
    burst: async (path: string, headers: Record<string, string>, requests: number): Promise<TBurstSamples> => {
      const cpu = process.cpuUsage();
      const samples = await Promise.race([
        failed,
        new Promise<TSamples>((resolve) => {
          worker.once("message", resolve);
          worker.postMessage({ path, headers, requests } satisfies TBurst);
        }),
      ]);
      const used = process.cpuUsage(cpu);
      return { ...samples, cpuMicros: used.user + used.system };
    },
    stop: () => worker.terminate(),
  };
}

/** One scenario's figures over all its rounds: req/s over the time its own rounds took. */
function summarise(scenario: string, samples: TBurstSamples[]): TScenarioResult {
  const times = samples.flatMap((s) => s.times).sort((a, b) => a - b);
  const seconds = samples.reduce((sum, s) => sum + s.seconds, 0);
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    scenario,
    requests: times.length + samples.reduce((sum, s) => sum + s.errors, 0),
    seconds: round(seconds),
    perSecond: round(times.length / seconds),
    p50Ms: round(quantile(times, 0.5)),
    p99Ms: round(quantile(times, 0.99)),
    errors: samples.reduce((sum, s) => sum + s.errors, 0),
    nodeCpuMsPerRequest:
      Math.round((samples.reduce((sum, s) => sum + s.cpuMicros, 0) / 1000 / Math.max(1, times.length)) * 1000) / 1000,
    firstError: samples.find((s) => s.firstError !== null)?.firstError ?? null,
  };
}

export async function benchLists(opts: {
  databaseUrl: string;
  concurrency?: number;
  requests?: number;
  secrets?: number;
  runs?: number;
  rounds?: number;
}): Promise<TListsBenchResult> {
  const concurrency = opts.concurrency ?? listsEnv.concurrency;
  const requests = opts.requests ?? listsEnv.requests;
  const secrets = opts.secrets ?? listsEnv.secrets;
  const runs = opts.runs ?? listsEnv.runs;
  const rounds = Math.min(opts.rounds ?? listsEnv.rounds, requests);
  await runMigrations(opts.databaseUrl);
  let capture: Array<{ query: string; parameters: unknown[] }> | null = null;
  const { db, sql, close } = createDatabase(opts.databaseUrl, {
    max: 10,
    applicationName: "lockstep-bench",
    onQuery: (query, parameters) => void capture?.push({ query, parameters }),
  });
  const agent = new Agent({ keepAlive: true, maxSockets: 2 });
  const floors = new Map<string, TStatements>();
  const { server, port } = await startServer(db, sql, floors);
  const load = startLoad(port, concurrency);
  try {
    const { workspaceId, token } = await seed(db, secrets, runs);
    const auth = { authorization: `Bearer ${token}` };
    const path = (procedure: string) =>
      `/api/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: { workspaceId, limit: 50 } }))}`;
    // Correctness first: each list answers a full page, and the statements it sends are captured for its floor.
    const pageBytes: Record<string, number> = {};
    const statementsOf = async (procedure: string) => {
      // Record the token's use first (awaited: the API's own touch is not, and under load it could
      // land inside the capture), so the captured request is a steady-state one.
      const who = await identityFromToken(db, token, "127.0.0.1");
      if (who?.via === "token") await touchAccessToken(db, who.tokenId, "127.0.0.1");
      capture = [];
      const r = await get(agent, port, path(procedure), auth);
      const sent = capture;
      capture = null;
      pageBytes[procedure] = Buffer.byteLength(r.body);
      const rows = (JSON.parse(r.body) as { result: { data: { json: unknown[] } } }).result.data.json;
      if (r.status !== 200 || rows.length !== 50)
        throw new Error(`${procedure} answered HTTP ${r.status} with ${rows.length} rows, not a page of 50`);
      return sent;
    };
    for (const procedure of ["secrets.list", "runs.list"]) floors.set(procedure, await statementsOf(procedure));
    for (const [procedure, statements] of floors) {
      const r = await get(agent, port, `/floor/${procedure}`);
      if (r.status !== 200) throw new Error(`floor(${procedure}) answered HTTP ${r.status}`);
      if (statements.length === 0) throw new Error(`${procedure}: no statement captured`);
      // A list reads: a write in the capture (a token's use being recorded) would not be the steady state.
      const write = statements.find((st) => !/^\s*select\b/i.test(st.query));
      if (write) throw new Error(`${procedure}: the captured request wrote (${write.query.slice(0, 40)}…)`);
    }

    // Every scenario is one GET from the load generator: [name, path, headers].
    const scenarios: Array<[string, string, Record<string, string>]> = [
      ["health", "/health", {}],
      ["floor(secrets.list)", "/floor/secrets.list", {}],
      ["secrets.list", path("secrets.list"), auth],
      ["floor(runs.list)", "/floor/runs.list", {}],
      ["runs.list", path("runs.list"), auth],
    ];
    for (const [, p, h] of scenarios) await load.burst(p, h, Math.min(200, requests));
    // Interleaved: each round runs every scenario for its share of the requests, the order rotated
    // each round, so a busy moment of the (shared) machine falls on every scenario alike.
    const loadStart = Math.round(loadavg()[0]! * 100) / 100;
    const samples = new Map<string, TBurstSamples[]>(scenarios.map(([name]) => [name, []]));
    for (let r = 0; r < rounds; r++) {
      const share = Math.floor(requests / rounds) + (r < requests % rounds ? 1 : 0);
      for (let i = 0; i < scenarios.length; i++) {
        const [name, p, h] = scenarios[(i + r) % scenarios.length]!;
        samples.get(name)!.push(await load.burst(p, h, share));
      }
    }
    const results = scenarios.map(([name]) => summarise(name, samples.get(name)!));

    const byName = new Map(results.map((r) => [r.scenario, r]));
    const goals = (["secrets.list", "runs.list"] as const).map((l) => {
      const r = byName.get(l)!;
      const f = byName.get(`floor(${l})`)!;
      const h = byName.get("health")!;
      const throughputVsFloor = Math.round((r.perSecond / f.perSecond) * 100) / 100;
      const p99VsHealth = Math.round((r.p99Ms / h.p99Ms) * 100) / 100;
      return {
        list: l,
        throughputVsFloor,
        p99VsHealth,
        meetsThroughput: throughputVsFloor >= 0.5,
        meetsP99: p99VsHealth <= 10,
        nodeCpuVsFloor: Math.round((r.nodeCpuMsPerRequest / f.nodeCpuMsPerRequest) * 100) / 100,
      };
    });
    return {
      at: new Date().toISOString(),
      concurrency,
      requests,
      rounds,
      seeded: { secrets, runs },
      statementsPerRequest: Object.fromEntries(
        [...floors].map(([procedure, statements]) => [procedure, statements.length]),
      ),
      pageBytes,
      scenarios: results,
      loadAverage: { start: loadStart, end: Math.round(loadavg()[0]! * 100) / 100 },
      goals,
      node: {
        flags: [...listsEnv.nodeOptions, ...process.execArgv].filter(
          (flag) => flag.startsWith("--") && flag !== "--import",
        ),
        // resourceUsage's maxRSS is in KiB: the whole process (server, load worker, seeding).
        maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      },
    };
  } finally {
    await load.stop();
    agent.destroy();
    await new Promise((r) => server.close(r));
    await close();
  }
}

function table(result: TListsBenchResult): string {
  const rows = result.scenarios.map(
    (s) =>
      `| ${s.scenario.padEnd(20)} | ${String(s.perSecond).padStart(8)} | ${String(s.p50Ms).padStart(7)} | ${String(s.p99Ms).padStart(7)} | ${String(s.nodeCpuMsPerRequest).padStart(11)} | ${String(s.errors).padStart(6)} |`,
  );
  const goals = result.goals.map(
    (g) =>
      `| ${g.list.padEnd(12)} | ${String(g.throughputVsFloor).padStart(12)} ${g.meetsThroughput ? "✓" : "✗"} | ${String(g.p99VsHealth).padStart(11)} ${g.meetsP99 ? "✓" : "✗"} | ${String(g.nodeCpuVsFloor).padStart(15)} |`,
  );
  return [
    `concurrency ${result.concurrency}, ${result.requests} requests per scenario in ${result.rounds} interleaved rounds, ${result.seeded.secrets} secrets and ${result.seeded.runs} runs in the workspace`,
    `statements per request: ${Object.entries(result.statementsPerRequest)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}; load average ${result.loadAverage.start} → ${result.loadAverage.end} (2 cores)`,
    `node flags: ${result.node.flags.join(" ") || "none"}; peak RSS ${result.node.maxRssMb} MB`,
    "",
    "| scenario             |    req/s | p50 ms  | p99 ms  | node CPU ms | errors |",
    "| -------------------- | -------- | ------- | ------- | ----------- | ------ |",
    ...rows,
    "",
    "| list         | ×floor req/s (≥ 0.5) | ×health p99 (≤ 10) | node CPU ×floor |",
    "| ------------ | -------------------- | ------------------ | --------------- |",
    ...goals,
  ].join("\n");
}

async function main() {
  const dataDir = join(benchDir, "../.data/bench-lists/postgres");
  await mkdir(dirname(dataDir), { recursive: true });
  const pg = listsEnv.databaseUrl
    ? null
    : await startEmbeddedPostgres({ dataDir, port: await freePort(), quiet: true });
  const stop = async () => void (await pg?.stop());
  process.once("SIGINT", () => void stop().finally(() => process.exit(130)));
  try {
    const result = await benchLists({ databaseUrl: listsEnv.databaseUrl ?? pg!.url });
    console.log(table(result));
    const out = join(benchDir, "results", `lists-${result.at.slice(0, 10)}.json`);
    await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`\nwritten to ${relative(process.cwd(), out)}`);
    process.exitCode = result.scenarios.some((s) => s.errors > 0) ? 1 : 0;
  } finally {
    await stop();
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
