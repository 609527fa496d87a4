import { randomUUID } from "node:crypto";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import {
  allocateRunUid,
  createUserWithPersonalWorkspace,
  heartbeatOf,
  latestHeartbeat,
  pruneHeartbeats,
  runGauges,
  runStatuses,
  runsHoldingComputeEnv,
  runsNeedingWork,
  secretsToValidate,
  getRun,
  lastRunLogSeq,
} from "./index";
import { runMigrations } from "./migrate";
import * as schema from "./schema";

/**
 * Every query the worker and the sweeper issue on a timer, against a database holding a million
 * runs (nearly all finished, as on an instance that has been up for a while), 200,000 checked
 * secrets and 20,000 worker heartbeats. Each query is captured as the code issues it and explained
 * with the planner's own statistics (no switches): no plan may read a whole table. The positive
 * control drops the index a query relies on (in a transaction, rolled back) and the plan falls back
 * to reading the table — so the check can fail.
 *
 * A database of its own (created, migrated, dropped here): the million runs must not slow the
 * other suites sharing the integration Postgres.
 */
const admin = postgres(inject("databaseUrl"), { max: 1, onnotice: () => {} });
const name = `lockstep_timers_${randomUUID().slice(0, 8)}`;
const url = (() => {
  const u = new URL(inject("databaseUrl"));
  u.pathname = `/${name}`;
  return u.toString();
})();
const issued: Array<{ query: string; parameters: unknown[] }> = [];
let client: ReturnType<typeof postgres>;
let plain: ReturnType<typeof postgres>;
let db: ReturnType<typeof drizzle<typeof schema>>;
let computeEnvId: string;
let runId: string;

beforeAll(async () => {
  await admin.unsafe(`create database ${name}`);
  await runMigrations(url);
  client = postgres(url, {
    max: 1,
    onnotice: () => {},
    debug: (_c, query, parameters) => void issued.push({ query, parameters: parameters as unknown[] }),
  });
  plain = postgres(url, { max: 1, onnotice: () => {} });
  db = drizzle(client, { schema, casing: "snake_case" });
  const user = (await createUserWithPersonalWorkspace(db, {
    email: `timers-${randomUUID()}@example.test`,
    name: "Timers",
    passwordHash: null,
  }))!;
  const [ws] = await plain<Array<{ id: string }>>`select id from workspaces where personal_owner_id = ${user.id}`;
  const [ce] = await plain<Array<{ id: string }>>`
    insert into compute_envs (workspace_id, name, kind, work_dir, nextflow_version) values (${ws!.id}, 'Local', 'local', '/tmp/runs', '24.10.8') returning id`;
  computeEnvId = ce!.id;
  // A million finished runs with their secrets deleted, all of one environment; then the few unsettled ones.
  await plain`
    insert into runs (workspace_id, compute_env_id, status, secrets_state, pipeline_name, repository, compute_env_name, compute_env_kind, submitted_at, finished_at, deadline_at)
    select ${ws!.id}, ${computeEnvId}, (array['SUCCEEDED','FAILED','CANCELLED','LOST']::run_status[])[1 + i % 4], (array['DELETED','NONE']::secrets_state[])[1 + i % 2],
           'p', 'https://example.test/p', 'Local', 'local', now() - make_interval(secs => i), now() - make_interval(secs => i) + interval '1 minute', now() - make_interval(secs => i) + interval '1 day'
    from generate_series(1, 1000000) as i`;
  await plain`
    insert into runs (workspace_id, compute_env_id, status, secrets_state, pipeline_name, repository, compute_env_name, compute_env_kind, provisioned_at, deadline_at)
    select ${ws!.id}, ${computeEnvId}, s.status::run_status, s.secrets::secrets_state, 'p', 'https://example.test/p', 'Local', 'local',
           case when s.provisioned then now() end, now() + (case when i % 5 = 0 then interval '-1 hour' else interval '1 hour' end)
    from generate_series(1, 20) as i,
         (values ('SUBMITTED', 'PENDING', false), ('SUBMITTED', 'PROVISIONED', true), ('RUNNING', 'PROVISIONED', true),
                 ('SUCCEEDED', 'PROVISIONED', true), ('FAILED', 'DELETING', true), ('CANCELLED', 'CLEANUP_FAILED', true)) as s(status, secrets, provisioned)`;
  await plain`
    insert into secrets (scope, workspace_id, name, sealed, key_id, value_checked_at)
    select 'workspace', ${ws!.id}, 'S_' || i, 'sealed', 'k1', case when i % 20000 = 0 then null else now() end from generate_series(1, 200000) as i`;
  await plain`
    insert into worker_heartbeats (worker_id, hostname, pid, version, started_at, last_seen_at, last_health_check_at)
    select 'w-' || i, 'h', i, '0.1.0', now(), now() - make_interval(secs => i), now() - make_interval(secs => i) from generate_series(1, 20000) as i`;
  await plain`analyze`;
  runId = (await plain<Array<{ id: string }>>`select id from runs where status = 'RUNNING' limit 1`)[0]!.id;
}, 600_000);

afterAll(async () => {
  await client?.end();
  await plain?.end();
  await admin.unsafe(`drop database if exists ${name} with (force)`);
  await admin.end();
});

async function planOf(query: string, parameters: unknown[], without?: string): Promise<string> {
  return plain
    .begin(async (tx) => {
      if (without) await tx.unsafe(`drop index ${without}`);
      const rows = await tx.unsafe(`explain ${query}`, parameters as never[]);
      const plan = rows.map((r) => String(r["QUERY PLAN"])).join("\n");
      throw Object.assign(new Error("rollback"), { plan });
    })
    .catch((e: { plan?: string }) => {
      if (e.plan === undefined) throw e;
      return e.plan;
    });
}

/** Every query `use` issues, as issued. */
async function capture(use: () => Promise<unknown>) {
  issued.length = 0;
  await use();
  return [...issued].filter((q) => !/^(begin|commit|rollback|savepoint|release)/i.test(q.query.trim()));
}

const seqScans = (plan: string) =>
  plan.split("\n").filter((l) => /Seq Scan on (runs|secrets|worker_heartbeats)\b/.test(l));

type TCase = { what: string; use: () => Promise<unknown>; indexes: Array<{ match: RegExp; index: RegExp }> };
const cases: TCase[] = [
  {
    what: "the sweeper's runs needing work",
    use: () => runsNeedingWork(db),
    indexes: [
      { match: /"provisioned_at" is null/, index: /runs_live_deadline_idx|runs_status_idx/ },
      { match: /"provisioned_at" is not null/, index: /runs_live_deadline_idx|runs_status_idx/ },
      { match: /"deadline_at" </, index: /runs_live_deadline_idx/ },
      { match: /"secrets_state" in \(\$\d+, \$\d+, \$\d+\)/, index: /runs_unsettled_secrets_idx|runs_holding_env_idx/ },
    ],
  },
  {
    what: "runs holding a compute environment",
    use: () => runsHoldingComputeEnv(db, computeEnvId),
    indexes: [{ match: /"compute_env_id" = /, index: /runs_holding_env_idx/ }],
  },
  {
    what: "the worker's run gauges",
    use: () => runGauges(db),
    indexes: [
      { match: /group by "runs"."status"/, index: /runs_live_deadline_idx|runs_status_idx/ },
      { match: /group by "runs"."secrets_state"/, index: /runs_unsettled_secrets_idx/ },
    ],
  },
  {
    what: "secrets to validate",
    use: () => secretsToValidate(db, 200),
    indexes: [{ match: /"value_checked_at" is null/, index: /secrets_unchecked_idx/ }],
  },
  {
    what: "pruning heartbeats",
    use: () => pruneHeartbeats(db as never, new Date(Date.now() - 30 * 86_400_000)),
    indexes: [{ match: /"last_seen_at" </, index: /worker_heartbeats_last_seen_idx/ }],
  },
  {
    what: "the latest heartbeat",
    use: () => latestHeartbeat(db as never),
    indexes: [{ match: /order by/, index: /worker_heartbeats_last_check_idx/ }],
  },
  { what: "one heartbeat", use: () => heartbeatOf(db as never, "w-1"), indexes: [] },
  { what: "the monitor's run", use: () => getRun(db, runId), indexes: [] },
  { what: "the monitor's log position", use: () => lastRunLogSeq(db, runId), indexes: [] },
  { what: "the sweeper's statuses of stored copies", use: () => runStatuses(db, [runId, randomUUID()]), indexes: [] },
  { what: "a run's sandbox uid", use: () => allocateRunUid(db as never, runId), indexes: [] },
];

describe("with a million runs, every timer query uses an index", () => {
  it.each(cases.map((c) => [c.what, c] as const))("%s", { timeout: 60_000 }, async (_what, c) => {
    const queries = await capture(c.use);
    expect(queries.length).toBeGreaterThan(0);
    for (const q of queries) {
      if (!/^\s*(select|update|delete|insert)/i.test(q.query)) continue;
      const plan = await planOf(q.query, q.parameters);
      expect({ query: q.query, seqScans: seqScans(plan) }).toEqual({ query: q.query, seqScans: [] });
    }
    for (const { match, index } of c.indexes) {
      const q = queries.find((x) => match.test(x.query));
      expect(q, `no query matching ${match}`).toBeDefined();
      expect(await planOf(q!.query, q!.parameters)).toMatch(index);
    }
  });

  it(
    "positive control: the check sees a plan that reads the whole table, and the old form of a query was one",
    { timeout: 120_000 },
    async () => {
      const holding = (await capture(() => runsHoldingComputeEnv(db, computeEnvId))).find((q) =>
        /"compute_env_id" = /.test(q.query),
      )!;
      expect(await planOf(holding.query, holding.parameters)).toMatch(/runs_holding_env_idx/);
      // Without the indexes a timer query relies on, its plan reads the table and the check says so.
      const bare = await plain
        .begin(async (tx) => {
          for (const index of [
            "runs_holding_env_idx",
            "runs_compute_env_idx",
            "runs_status_idx",
            "runs_secrets_state_idx",
            "runs_unsettled_secrets_idx",
            "runs_live_deadline_idx",
          ]) {
            await tx.unsafe(`drop index ${index}`);
          }
          const rows = await tx.unsafe(`explain ${holding.query}`, holding.parameters as never[]);
          throw Object.assign(new Error("rollback"), { plan: rows.map((r) => String(r["QUERY PLAN"])).join("\n") });
        })
        .catch((e: { plan: string }) => e.plan);
      expect(seqScans(bare)).not.toEqual([]);
      const unchecked = (await capture(() => secretsToValidate(db, 200)))[0]!;
      expect(seqScans(await planOf(unchecked.query, unchecked.parameters, "secrets_unchecked_idx"))).not.toEqual([]);
      // The query as it was before migration 0014 ("status not in the terminal ones"): no partial index
      // can serve it, so it walks every run of the environment (a million here) or the table.
      const old = holding.query.replace(
        `"runs"."status" in ('SUBMITTED', 'RUNNING') or`,
        `"runs"."status" not in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST') or`,
      );
      expect(old).not.toBe(holding.query);
      const oldPlan = await planOf(old, holding.parameters);
      expect(oldPlan).not.toMatch(/runs_holding_env_idx/);
      expect(oldPlan).toMatch(/Seq Scan on runs|runs_compute_env_idx/);
    },
  );
});
