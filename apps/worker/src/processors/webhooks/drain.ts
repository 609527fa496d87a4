import { dueWebhookDeliveries } from "@lockstep/db";
import { enqueueFresh } from "@lockstep/queue";
import type { THandler } from "../types";

/**
 * The outbox drain: every pending delivery that is due gets its next attempt enqueued. The job id
 * names the attempt, so a job already waiting or delayed is left alone; this is what makes a
 * Redis outage, a lost enqueue or a worker restart lose no event.
 */
export const drain: THandler<"webhooks.drain"> = async (_payload, _job, ctx) => {
  const due = await dueWebhookDeliveries(ctx.db, 500);
  for (const d of due)
    await enqueueFresh(ctx.queues, "webhooks.deliver", { deliveryId: d.id, attempt: d.attempts + 1 });
  return { due: due.length };
};
