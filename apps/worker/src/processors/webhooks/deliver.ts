import { closeWebhookDelivery, getInstanceSettings, loadWebhookDelivery, recordWebhookAttempt } from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { postWebhook, type TDeliveryOutcome } from "../../webhooks/destination";
import { webhookHeaders } from "../../webhooks/signature";
import type { THandler } from "../types";

/** Attempts per delivery: the first and then retries at base, 2×base, 4×base, … (docs/webhooks.md). */
export const WEBHOOK_ATTEMPTS = 6;
/** Failures no retry can mend: the destination itself is refused. */
const PERMANENT = new Set(["blocked_address", "blocked_port", "scheme", "bad_url", "signing_secret_unreadable"]);

/**
 * One attempt of one delivery: signs the event (Standard Webhooks), POSTs it under the instance's
 * destination policy, logs the attempt (status, duration, kind of failure, next retry — never a
 * body, header or answer) and schedules the next attempt. Postgres decides: a delivery that is no
 * longer pending, or whose attempt was already made, is left alone, so a duplicate job is harmless.
 */
export const deliver: THandler<"webhooks.deliver"> = async ({ deliveryId, attempt }, _job, ctx) => {
  const row = await loadWebhookDelivery(ctx.db, deliveryId);
  if (!row) return { gone: true };
  if (row.delivery.state !== "pending" || row.delivery.attempts >= attempt) return { skipped: row.delivery.state };
  if (!row.endpoint.enabled && row.event.type !== "webhook.test") {
    await closeWebhookDelivery(ctx.db, deliveryId, "failed");
    return { endpointDisabled: true };
  }
  const settings = await getInstanceSettings(ctx.db);
  const options = ctx.runtime.webhooks ?? {};
  const policy = {
    allowHttp: settings.webhooksAllowHttp,
    allowedNetworks: settings.webhooksAllowedNetworks,
    blockedPorts: options.blockedPorts ?? [],
  };
  const body = JSON.stringify({
    id: row.event.id,
    type: row.event.type,
    timestamp: row.event.createdAt.toISOString(),
    data: row.event.data,
  });

  let outcome: TDeliveryOutcome;
  let secret: string | null = null;
  try {
    secret = await ctx.keys.opening.open(row.endpoint.secretSealed, {
      scope: "webhook",
      ownerId: row.endpoint.id,
      name: "signing-secret",
    });
  } catch {
    outcome = { statusCode: null, durationMs: 0, errorKind: "signing_secret_unreadable" };
  }
  if (secret !== null)
    outcome = await postWebhook(
      row.endpoint.url,
      body,
      webhookHeaders(secret, row.event.id, body),
      policy,
      options.timeoutMs ?? 10_000,
    );

  const delivered = outcome!.errorKind === null;
  const last = attempt >= WEBHOOK_ATTEMPTS || PERMANENT.has(outcome!.errorKind ?? "");
  const delay = (options.retryBaseMs ?? 60_000) * 2 ** (attempt - 1);
  const nextRetryAt = delivered || last ? null : new Date(Date.now() + delay);
  await recordWebhookAttempt(
    ctx.db,
    {
      deliveryId,
      endpointId: row.endpoint.id,
      eventId: row.event.id,
      eventType: row.event.type,
      attempt,
      ...outcome!,
      nextRetryAt,
    },
    delivered ? "delivered" : last ? "failed" : "pending",
  );
  ctx.logger.info(
    {
      deliveryId,
      endpointId: row.endpoint.id,
      event: row.event.type,
      attempt,
      status: outcome!.statusCode,
      errorKind: outcome!.errorKind,
      durationMs: outcome!.durationMs,
    },
    "webhook attempt",
  );
  // If this enqueue is lost (Redis away), the drain enqueues the same attempt when it is due.
  if (nextRetryAt)
    await enqueue(ctx.queues, "webhooks.deliver", { deliveryId, attempt: attempt + 1 }, { delay }).catch(
      () => undefined,
    );
  return { attempt, delivered, errorKind: outcome!.errorKind };
};
