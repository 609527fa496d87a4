import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import { createUserWithPersonalWorkspace, insertRun, listRuns, runsHoldingComputeEnv, runsNeedingWork } from "./index";
import { queryPlanHarness } from "./test/query-plans";

/**
 * The run queries the worker issues on a timer (the sweeper, every 30 s) and on every edit of a
 * compute environment use an index, and runs.list pages without skipping runs. Each query is
 * captured as the code issues it and explained with sequential scans switched off: a plan that
 * still scans the table means no index can serve the query's predicate.
 */
const { db, plain, planOf, captured } = queryPlanHarness();

describe("timer queries use an index", () => {
  it("the sweeper's overdue query uses runs_live_deadline_idx", async () => {
    const { query, parameters } = await captured(() => runsNeedingWork(db), /"deadline_at" </);
    expect(await planOf(query, parameters)).toContain("runs_live_deadline_idx");
    // Positive control: the same query written as "not terminal" (as it was) cannot use that index.
    const old = query.replace(
      `"runs"."status" in ('SUBMITTED', 'RUNNING')`,
      `"runs"."status" not in ('SUCCEEDED', 'FAILED', 'CANCELLED', 'LOST')`,
    );
    expect(old).not.toBe(query);
    expect(await planOf(old, parameters)).not.toContain("runs_live_deadline_idx");
  });

  it("runs holding a compute environment use runs_holding_env_idx (or runs_compute_env_idx)", async () => {
    const { query, parameters } = await captured(() => runsHoldingComputeEnv(db, randomUUID()), /"compute_env_id" = /);
    expect(await planOf(query, parameters)).toMatch(/runs_holding_env_idx|runs_compute_env_idx/);
  });
});

describe("runs.list paging", () => {
  it("pages by the last run at full precision: runs submitted in the same millisecond are neither skipped nor repeated", async () => {
    const user = (await createUserWithPersonalWorkspace(db, {
      email: `pager-${randomUUID()}@example.test`,
      name: "Pager",
      passwordHash: null,
    }))!;
    const [workspace] = await plain<
      Array<{ id: string }>
    >`select id from workspaces where personal_owner_id = ${user.id}`;
    const workspaceId = workspace!.id;
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const run = await insertRun(db, {
        workspaceId,
        pipelineName: `p${i}`,
        repository: "https://example.test/p",
        computeEnvName: "ce",
        computeEnvKind: "local",
        deadlineAt: new Date(Date.now() + 3_600_000),
      });
      // Five runs within one millisecond, a microsecond apart.
      // (A literal: a parameter of type timestamptz would go through a JS Date, which keeps milliseconds only.)
      await plain.unsafe(`update runs set submitted_at = '2026-11-30 12:00:00.12300${i}+00' where id = $1`, [run.id]);
      ids.push(run.id);
    }
    const newestFirst = [...ids].reverse();
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listRuns(db, workspaceId, 2, after ? { after } : {});
      if (page.length === 0) break;
      seen.push(...page.map((r) => r.run.id));
      after = page.at(-1)!.run.id;
    }
    expect(seen).toEqual(newestFirst);

    // Positive control: the old cursor (the last run's submittedAt, as a JS Date: milliseconds) loses the rest.
    const first = await listRuns(db, workspaceId, 2);
    const byDate = await listRuns(db, workspaceId, 2, { before: new Date(first.at(-1)!.run.submittedAt) });
    expect(byDate).toEqual([]);
  });
});
