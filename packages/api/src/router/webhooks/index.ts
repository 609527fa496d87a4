import { z } from "zod";
import { findWebhookEndpoint, listWebhookAttempts, listWebhookEndpoints } from "@lockstep/db";
import { WEBHOOK_URL_MAX, ZId, ZWebhookDescription, ZWebhookEventType, webhookEventTypes } from "@lockstep/validators";
import { actorOf } from "../../actor";
import { AppError } from "../../errors";
import { createWebhook, removeWebhook, rotateWebhookSecret, testWebhook, updateWebhook } from "../../services/webhooks";
import { router, workspaceProcedure } from "../../trpc";
import { ZIsoDate } from "../shapes";

/** An endpoint as listed: never its signing secret (that is shown once, by create and rotateSecret). */
const ZEndpointOut = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  secretRotatedAt: ZIsoDate,
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});
const endpointOut = (e: z.input<typeof ZEndpointOut>) => ({
  id: e.id,
  url: e.url,
  description: e.description,
  events: e.events,
  enabled: e.enabled,
  secretRotatedAt: e.secretRotatedAt,
  createdAt: e.createdAt,
  updatedAt: e.updatedAt,
});
/** Create and rotate: the one time the signing secret is shown. */
const ZWithSecretOut = z.object({ endpoint: ZEndpointOut, signingSecret: z.string().startsWith("whsec_") });

const ZUrl = z
  .string()
  .trim()
  .min(1, "url: give the receiver's URL.")
  .max(WEBHOOK_URL_MAX, `url: must be at most ${WEBHOOK_URL_MAX} characters.`);
const ZEvents = z.array(ZWebhookEventType).min(1, "events: pick at least one event.").max(webhookEventTypes.length);
const ZPage = { cursor: ZId.optional(), limit: z.number().int().min(1).max(100).default(25) };

/**
 * Webhook endpoints of a workspace. Workspace admins and owners (`workspace:settings`): an endpoint
 * sends workspace activity to a URL of the admin's choosing and holds a signing secret, which is
 * the workspace's settings, not its content (docs/webhooks.md).
 */
export const webhooksRouter = router({
  list: workspaceProcedure("workspace:settings")
    .input(z.object(ZPage))
    .output(z.object({ items: z.array(ZEndpointOut), nextCursor: z.string().nullable() }))
    .query(async ({ ctx, input }) => {
      const page = await listWebhookEndpoints(ctx.db, ctx.workspace.id, { limit: input.limit, after: input.cursor });
      return { items: page.items.map(endpointOut), nextCursor: page.nextCursor };
    }),

  create: workspaceProcedure("workspace:settings")
    .input(
      z.object({
        url: ZUrl,
        description: ZWebhookDescription.default(""),
        events: ZEvents,
        enabled: z.boolean().default(true),
      }),
    )
    .output(ZWithSecretOut)
    .mutation(async ({ ctx, input }) => {
      const { endpoint, signingSecret } = await createWebhook(ctx, ctx.workspace.id, actorOf(ctx), input);
      return { endpoint: endpointOut(endpoint), signingSecret };
    }),

  update: workspaceProcedure("workspace:settings")
    .input(
      z.object({
        endpointId: ZId,
        url: ZUrl.optional(),
        description: ZWebhookDescription.optional(),
        events: ZEvents.optional(),
        enabled: z.boolean().optional(),
      }),
    )
    .output(ZEndpointOut)
    .mutation(async ({ ctx, input }) => {
      const { endpointId, ...change } = input;
      return endpointOut(await updateWebhook(ctx, ctx.workspace.id, actorOf(ctx), endpointId, change));
    }),

  delete: workspaceProcedure("workspace:settings")
    .input(z.object({ endpointId: ZId }))
    .output(ZEndpointOut)
    .mutation(async ({ ctx, input }) =>
      endpointOut(await removeWebhook(ctx, ctx.workspace.id, actorOf(ctx), input.endpointId)),
    ),

  rotateSecret: workspaceProcedure("workspace:settings")
    .input(z.object({ endpointId: ZId }))
    .output(ZWithSecretOut)
    .mutation(async ({ ctx, input }) => {
      const { endpoint, signingSecret } = await rotateWebhookSecret(
        ctx,
        ctx.workspace.id,
        actorOf(ctx),
        input.endpointId,
      );
      return { endpoint: endpointOut(endpoint), signingSecret };
    }),

  test: workspaceProcedure("workspace:settings")
    .input(z.object({ endpointId: ZId }))
    .output(z.object({ deliveryId: z.string() }))
    .mutation(({ ctx, input }) => testWebhook(ctx, ctx.workspace.id, actorOf(ctx), input.endpointId)),

  /** The endpoint's delivery log, newest first: one row per attempt. */
  deliveries: workspaceProcedure("workspace:settings")
    .input(z.object({ endpointId: ZId, ...ZPage }))
    .output(
      z.object({
        items: z.array(
          z.object({
            id: z.string(),
            eventId: z.string(),
            eventType: z.string(),
            attempt: z.number(),
            at: ZIsoDate,
            statusCode: z.number().nullable(),
            durationMs: z.number(),
            errorKind: z.string().nullable(),
            nextRetryAt: ZIsoDate.nullable(),
          }),
        ),
        nextCursor: z.string().nullable(),
      }),
    )
    .query(async ({ ctx, input }) => {
      if (!(await findWebhookEndpoint(ctx.db, ctx.workspace.id, input.endpointId)))
        throw new AppError("NOT_FOUND", "No such webhook endpoint.");
      return listWebhookAttempts(ctx.db, input.endpointId, { limit: input.limit, after: input.cursor });
    }),
});
