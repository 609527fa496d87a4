import { randomUUID } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  createUserWithPersonalWorkspace,
  dueWebhookDeliveries,
  insertWebhookEndpoint,
  listWebhookAttempts,
  recordWebhookEvent,
} from "./index";
import { queryPlanHarness } from "./test/query-plans";

/**
 * The webhook drain runs on a timer (every 15 s) and the delivery log is paged: both use an index,
 * and paging neither skips nor repeats attempts logged within one millisecond. Queries are
 * captured as the code issues them and explained with sequential scans off, as in
 * run-queries.integration.test.ts.
 */
const { db, plain, planOf, captured } = queryPlanHarness();

async function endpointWithDelivery() {
  const user = (await createUserWithPersonalWorkspace(db, {
    email: `hooks-${randomUUID()}@example.test`,
    name: "Hooks",
    passwordHash: null,
  }))!;
  const [workspace] = await plain<
    Array<{ id: string }>
  >`select id from workspaces where personal_owner_id = ${user.id}`;
  const endpoint = await insertWebhookEndpoint(db, {
    id: randomUUID(),
    workspaceId: workspace!.id,
    url: "https://hooks.example.test/",
    description: "",
    events: ["run.finished"],
    enabled: true,
    secretSealed: "lsv1.test.x.y",
    secretKeyId: "test",
    createdBy: user.id,
  });
  const [deliveryId] = await recordWebhookEvent(db, {
    workspaceId: workspace!.id,
    type: "run.finished",
    data: { run: { id: "r" } },
  });
  return { endpoint, deliveryId: deliveryId! };
}

describe("webhook queries", () => {
  it("the drain's due query uses the partial index webhook_deliveries_pending_due_idx", async () => {
    const { query, parameters } = await captured(() => dueWebhookDeliveries(db, 500), /"next_attempt_at" <=/);
    expect(await planOf(query, parameters)).toContain("webhook_deliveries_pending_due_idx");
    // Positive control: without the pending predicate the partial index cannot serve it.
    const all = query
      .replace(/"webhook_deliveries"\."state" = \$1 and /, "")
      .replace("$2", "$1")
      .replace("$3", "$2");
    expect(all).not.toBe(query);
    expect(await planOf(all, parameters.slice(1))).not.toContain("webhook_deliveries_pending_due_idx");
  });

  it("records a delivery only for endpoints that want the event, and the drain finds it", async () => {
    const { endpoint, deliveryId } = await endpointWithDelivery();
    expect((await dueWebhookDeliveries(db, 10_000)).map((d) => d.id)).toContain(deliveryId);
    expect(
      await recordWebhookEvent(db, { workspaceId: endpoint.workspaceId, type: "secret.deleted", data: {} }),
    ).toEqual([]);
  });

  it("the delivery log pages by index, newest first, neither skipping nor repeating attempts of one millisecond", async () => {
    const { endpoint, deliveryId } = await endpointWithDelivery();
    const ids: string[] = [];
    for (let i = 1; i <= 5; i++) {
      const [row] = await plain<Array<{ id: string }>>`
        insert into webhook_attempts (delivery_id, endpoint_id, event_id, event_type, attempt, at, status_code, duration_ms)
        select ${deliveryId}, ${endpoint.id}, event_id, 'run.finished', ${i}, now(), 500, 1 from webhook_deliveries where id = ${deliveryId}
        returning id`;
      // Five attempts within one millisecond, a microsecond apart (a literal: a timestamptz parameter goes through a JS Date).
      await plain.unsafe(`update webhook_attempts set at = '2026-11-30 12:00:00.12300${i}+00' where id = $1`, [
        row!.id,
      ]);
      ids.push(row!.id);
    }
    const stored = await plain<
      Array<{ at: string }>
    >`select at::text as at from webhook_attempts where endpoint_id = ${endpoint.id} order by attempt`;
    expect(stored.map((r) => r.at)).toEqual([1, 2, 3, 4, 5].map((i) => `2026-11-30 12:00:00.12300${i}+00`));
    const seen: string[] = [];
    let after: string | undefined;
    for (;;) {
      const page = await listWebhookAttempts(db, endpoint.id, { limit: 2, after });
      seen.push(...page.items.map((a) => a.id));
      if (!page.nextCursor) break;
      after = page.nextCursor;
    }
    expect(seen).toEqual([...ids].reverse());
    const { query, parameters } = await captured(
      () => listWebhookAttempts(db, endpoint.id, { limit: 2, after: ids[3] }),
      /from "webhook_attempts"/,
    );
    expect(await planOf(query, parameters)).toContain("webhook_attempts_endpoint_at_idx");
  });
});
