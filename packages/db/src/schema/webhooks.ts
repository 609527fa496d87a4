import { sql } from "drizzle-orm";
import {
  boolean,
  index,
  integer,
  jsonb,
  pgEnum,
  pgTable,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from "drizzle-orm/pg-core";
import { id, timestamps } from "./_columns";
import { users } from "./users";
import { workspaces } from "./tenancy";

/**
 * A workspace's webhook endpoint. The signing secret is an HPKE envelope sealed with the public
 * key (bound to scope "webhook", the endpoint's id and "signing-secret"): the web tier, which
 * only holds the public key, cannot read it back; only the worker opens it to sign deliveries.
 */
export const webhookEndpoints = pgTable(
  "webhook_endpoints",
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    url: text().notNull(),
    description: text().notNull().default(""),
    /** Event types this endpoint receives (see ZWebhookEventType). */
    events: text().array().notNull(),
    enabled: boolean().notNull().default(true),
    secretSealed: text().notNull(),
    secretKeyId: text().notNull(),
    secretRotatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdBy: uuid().references(() => users.id, { onDelete: "set null" }),
    ...timestamps,
  },
  (t) => [index("webhook_endpoints_workspace_idx").on(t.workspaceId, t.createdAt, t.id)],
);

export type TWebhookEndpointRow = typeof webhookEndpoints.$inferSelect;

/**
 * The outbox: one row per event, written in the same transaction as the change it reports (API)
 * or right after it (worker). `data` holds ids, names, statuses and times only — never a value,
 * ciphertext or fingerprint.
 */
export const webhookEvents = pgTable(
  "webhook_events",
  {
    id: id(),
    workspaceId: uuid()
      .notNull()
      .references(() => workspaces.id, { onDelete: "cascade" }),
    type: text().notNull(),
    data: jsonb().$type<Record<string, unknown>>().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index("webhook_events_workspace_idx").on(t.workspaceId, t.createdAt)],
);

export const webhookDeliveryState = pgEnum("webhook_delivery_state", ["pending", "delivered", "failed"]);

/**
 * One event to one endpoint, fanned out when the event is written. A `pending` row is work to do:
 * the worker's drain re-enqueues every pending delivery that is due, so a Redis outage or a
 * worker restart loses nothing.
 */
export const webhookDeliveries = pgTable(
  "webhook_deliveries",
  {
    id: id(),
    eventId: uuid()
      .notNull()
      .references(() => webhookEvents.id, { onDelete: "cascade" }),
    endpointId: uuid()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    state: webhookDeliveryState().notNull().default("pending"),
    attempts: integer().notNull().default(0),
    nextAttemptAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    ...timestamps,
  },
  (t) => [
    uniqueIndex("webhook_deliveries_event_endpoint_key").on(t.eventId, t.endpointId),
    index("webhook_deliveries_endpoint_idx").on(t.endpointId),
    // The drain's timer query: pending deliveries that are due.
    index("webhook_deliveries_pending_due_idx")
      .on(t.nextAttemptAt)
      .where(sql`${t.state} = 'pending'`),
  ],
);

/** The delivery log: one row per HTTP attempt (no body, no header, no response text). */
export const webhookAttempts = pgTable(
  "webhook_attempts",
  {
    id: id(),
    deliveryId: uuid()
      .notNull()
      .references(() => webhookDeliveries.id, { onDelete: "cascade" }),
    endpointId: uuid()
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: uuid().notNull(),
    eventType: text().notNull(),
    attempt: integer().notNull(),
    at: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** The receiver's HTTP status; null when no answer came (refused, timeout, blocked address). */
    statusCode: integer(),
    durationMs: integer().notNull(),
    /** Null on a 2xx; else a fixed word: http_status, timeout, connect, dns, blocked_address, blocked_port, tls, … */
    errorKind: text(),
    /** When the next attempt is due; null when this was the last (delivered or given up). */
    nextRetryAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    index("webhook_attempts_endpoint_at_idx").on(t.endpointId, t.at, t.id),
    index("webhook_attempts_delivery_idx").on(t.deliveryId),
  ],
);

export type TWebhookAttemptRow = typeof webhookAttempts.$inferSelect;
