import { and, asc, desc, eq, lte, sql } from "drizzle-orm";
import type { TDatabase, TDbOrTx } from "../client";
import { webhookAttempts, webhookDeliveries, webhookEndpoints, webhookEvents } from "../schema";

/** Endpoint metadata: never the sealed signing secret. */
const endpointColumns = {
  id: webhookEndpoints.id,
  workspaceId: webhookEndpoints.workspaceId,
  url: webhookEndpoints.url,
  description: webhookEndpoints.description,
  events: webhookEndpoints.events,
  enabled: webhookEndpoints.enabled,
  secretRotatedAt: webhookEndpoints.secretRotatedAt,
  createdBy: webhookEndpoints.createdBy,
  createdAt: webhookEndpoints.createdAt,
  updatedAt: webhookEndpoints.updatedAt,
};

export type TWebhookEndpoint = {
  id: string;
  workspaceId: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  secretRotatedAt: Date;
  createdBy: string | null;
  createdAt: Date;
  updatedAt: Date;
};

export async function insertWebhookEndpoint(
  db: TDbOrTx,
  input: {
    id: string;
    workspaceId: string;
    url: string;
    description: string;
    events: string[];
    enabled: boolean;
    secretSealed: string;
    secretKeyId: string;
    createdBy: string;
  },
): Promise<TWebhookEndpoint> {
  const [row] = await db.insert(webhookEndpoints).values(input).returning(endpointColumns);
  return row!;
}

/**
 * One page of a workspace's endpoints, oldest first; `after` is the last id of the previous page.
 * The cursor row is compared in SQL at full (microsecond) precision: a JS Date keeps milliseconds
 * only, which would skip rows created in the cursor's millisecond.
 */
export async function listWebhookEndpoints(db: TDbOrTx, workspaceId: string, page: { limit: number; after?: string }) {
  const rows = await db
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(
      and(
        eq(webhookEndpoints.workspaceId, workspaceId),
        page.after
          ? sql`(${webhookEndpoints.createdAt}, ${webhookEndpoints.id}) > (select e.created_at, e.id from webhook_endpoints e where e.id = ${page.after} and e.workspace_id = ${workspaceId})`
          : undefined,
      ),
    )
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id))
    .limit(page.limit + 1);
  return { items: rows.slice(0, page.limit), nextCursor: rows.length > page.limit ? rows[page.limit - 1]!.id : null };
}

export async function findWebhookEndpoint(
  db: TDbOrTx,
  workspaceId: string,
  id: string,
): Promise<TWebhookEndpoint | null> {
  const [row] = await db
    .select(endpointColumns)
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)));
  return row ?? null;
}

export async function updateWebhookEndpoint(
  db: TDbOrTx,
  workspaceId: string,
  id: string,
  values: Partial<{
    url: string;
    description: string;
    events: string[];
    enabled: boolean;
    secretSealed: string;
    secretKeyId: string;
    secretRotatedAt: Date;
  }>,
): Promise<TWebhookEndpoint | null> {
  const [row] = await db
    .update(webhookEndpoints)
    .set({ ...values, updatedAt: new Date() })
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .returning(endpointColumns);
  return row ?? null;
}

export async function deleteWebhookEndpoint(
  db: TDbOrTx,
  workspaceId: string,
  id: string,
): Promise<TWebhookEndpoint | null> {
  const [row] = await db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.workspaceId, workspaceId), eq(webhookEndpoints.id, id)))
    .returning(endpointColumns);
  return row ?? null;
}

/**
 * The transactional outbox: records an event and fans it out to every enabled endpoint of the
 * workspace subscribed to its type (or to one endpoint, for a test event) as `pending`
 * deliveries. Call it inside the transaction that makes the change, so the event exists exactly
 * when the change does. Returns the delivery ids, to enqueue after commit (the worker's drain
 * finds any that could not be enqueued). `data` must hold ids, names, statuses and times only.
 */
export async function recordWebhookEvent(
  db: TDbOrTx,
  event: { workspaceId: string; type: string; data: Record<string, unknown>; onlyEndpointId?: string },
): Promise<string[]> {
  const subscribed = event.onlyEndpointId
    ? and(eq(webhookEndpoints.workspaceId, event.workspaceId), eq(webhookEndpoints.id, event.onlyEndpointId))
    : and(
        eq(webhookEndpoints.workspaceId, event.workspaceId),
        eq(webhookEndpoints.enabled, true),
        sql`${event.type} = any(${webhookEndpoints.events})`,
      );
  const endpoints = await db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(subscribed);
  // No endpoint wants it: nothing to record (the outbox holds deliveries to make, not a history).
  if (endpoints.length === 0) return [];
  const [row] = await db
    .insert(webhookEvents)
    .values({ workspaceId: event.workspaceId, type: event.type, data: event.data })
    .returning({ id: webhookEvents.id });
  const deliveries = await db
    .insert(webhookDeliveries)
    .values(endpoints.map((e) => ({ eventId: row!.id, endpointId: e.id })))
    .returning({ id: webhookDeliveries.id });
  return deliveries.map((d) => d.id);
}

/** Pending deliveries that are due (uses webhook_deliveries_pending_due_idx). */
export async function dueWebhookDeliveries(
  db: TDbOrTx,
  limit: number,
): Promise<Array<{ id: string; attempts: number }>> {
  // Due by the database's clock, the one `next_attempt_at` defaults to: a JavaScript Date has
  // millisecond precision, so a delivery recorded earlier in the same millisecond would compare
  // as not yet due (and wait a whole drain interval).
  return db
    .select({ id: webhookDeliveries.id, attempts: webhookDeliveries.attempts })
    .from(webhookDeliveries)
    .where(and(eq(webhookDeliveries.state, "pending"), lte(webhookDeliveries.nextAttemptAt, sql`now()`)))
    .orderBy(asc(webhookDeliveries.nextAttemptAt))
    .limit(limit);
}

/** What the worker needs to make one delivery, the sealed signing secret included (the worker alone opens it). */
export async function loadWebhookDelivery(db: TDbOrTx, deliveryId: string) {
  const [row] = await db
    .select({
      delivery: { id: webhookDeliveries.id, state: webhookDeliveries.state, attempts: webhookDeliveries.attempts },
      event: {
        id: webhookEvents.id,
        type: webhookEvents.type,
        data: webhookEvents.data,
        createdAt: webhookEvents.createdAt,
        workspaceId: webhookEvents.workspaceId,
      },
      endpoint: {
        id: webhookEndpoints.id,
        url: webhookEndpoints.url,
        enabled: webhookEndpoints.enabled,
        secretSealed: webhookEndpoints.secretSealed,
      },
    })
    .from(webhookDeliveries)
    .innerJoin(webhookEvents, eq(webhookEvents.id, webhookDeliveries.eventId))
    .innerJoin(webhookEndpoints, eq(webhookEndpoints.id, webhookDeliveries.endpointId))
    .where(eq(webhookDeliveries.id, deliveryId));
  return row ?? null;
}

/** Logs one attempt and moves the delivery on, in one transaction. */
export async function recordWebhookAttempt(
  db: TDatabase,
  attempt: {
    deliveryId: string;
    endpointId: string;
    eventId: string;
    eventType: string;
    attempt: number;
    statusCode: number | null;
    durationMs: number;
    errorKind: string | null;
    nextRetryAt: Date | null;
  },
  state: "pending" | "delivered" | "failed",
) {
  await db.transaction(async (tx) => {
    await tx.insert(webhookAttempts).values(attempt);
    await tx
      .update(webhookDeliveries)
      .set({
        state,
        attempts: attempt.attempt,
        nextAttemptAt: attempt.nextRetryAt ?? new Date(),
        updatedAt: new Date(),
      })
      .where(eq(webhookDeliveries.id, attempt.deliveryId));
  });
}

/** Closes a delivery without an attempt (its endpoint was disabled meanwhile). */
export async function closeWebhookDelivery(db: TDbOrTx, deliveryId: string, state: "delivered" | "failed") {
  await db.update(webhookDeliveries).set({ state, updatedAt: new Date() }).where(eq(webhookDeliveries.id, deliveryId));
}

/** One page of an endpoint's delivery log, newest first; `after` is the last id of the previous page (compared in SQL, as above). */
export async function listWebhookAttempts(db: TDbOrTx, endpointId: string, page: { limit: number; after?: string }) {
  const rows = await db
    .select({
      id: webhookAttempts.id,
      eventId: webhookAttempts.eventId,
      eventType: webhookAttempts.eventType,
      attempt: webhookAttempts.attempt,
      at: webhookAttempts.at,
      statusCode: webhookAttempts.statusCode,
      durationMs: webhookAttempts.durationMs,
      errorKind: webhookAttempts.errorKind,
      nextRetryAt: webhookAttempts.nextRetryAt,
    })
    .from(webhookAttempts)
    .where(
      and(
        eq(webhookAttempts.endpointId, endpointId),
        page.after
          ? sql`(${webhookAttempts.at}, ${webhookAttempts.id}) < (select a.at, a.id from webhook_attempts a where a.id = ${page.after} and a.endpoint_id = ${endpointId})`
          : undefined,
      ),
    )
    .orderBy(desc(webhookAttempts.at), desc(webhookAttempts.id))
    .limit(page.limit + 1);
  return { items: rows.slice(0, page.limit), nextCursor: rows.length > page.limit ? rows[page.limit - 1]!.id : null };
}
