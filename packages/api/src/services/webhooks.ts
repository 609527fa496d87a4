import { randomBytes, randomUUID } from "node:crypto";
import type { SealingKeyring } from "@lockstep/crypto";
import {
  deleteWebhookEndpoint,
  findWebhookEndpoint,
  getInstanceSettings,
  insertWebhookEndpoint,
  recordAudit,
  recordWebhookEvent,
  updateWebhookEndpoint,
  type TDatabase,
  type TDbOrTx,
  type TWebhookEndpoint,
} from "@lockstep/db";
import type { TQueues } from "@lockstep/queue";
import { webhookUrlProblem, type TAuditAction, type TWebhookEventType } from "@lockstep/validators";
import { AppError } from "../errors";
import { deliverSoon, type TActor } from "./secrets";

export type TWebhookDeps = { db: TDatabase; sealing: SealingKeyring; queues: TQueues };

/**
 * A signing secret in the Standard Webhooks form: `whsec_` + base64 of 32 random bytes. Shown once
 * to its creator; stored sealed with the public key, so only the worker (which signs) can open it.
 */
function newSigningSecret(): string {
  return `whsec_${randomBytes(32).toString("base64")}`;
}

const bindingOf = (endpointId: string) => ({ scope: "webhook", ownerId: endpointId, name: "signing-secret" });

async function sealSecret(sealing: SealingKeyring, endpointId: string) {
  const signingSecret = newSigningSecret();
  return {
    signingSecret,
    secretSealed: await sealing.seal(signingSecret, bindingOf(endpointId)),
    secretKeyId: sealing.active.kid,
  };
}

async function checkUrl(db: TDbOrTx, url: string) {
  const settings = await getInstanceSettings(db);
  const problem = webhookUrlProblem(url, { allowHttp: settings.webhooksAllowHttp });
  if (problem) throw new AppError("INVALID", problem, [{ field: "url", message: problem }]);
}

/** The audit log names the endpoint by its origin: a URL's path or query may carry a receiver's token. */
const originOf = (url: string) => {
  try {
    return new URL(url).origin;
  } catch {
    return "(invalid url)";
  }
};

function audit(
  tx: TDbOrTx,
  workspaceId: string,
  actor: TActor,
  action: TAuditAction,
  endpoint: TWebhookEndpoint,
  detail: Record<string, string | boolean | string[]> = {},
) {
  return recordAudit(tx, {
    actorId: actor.id,
    actorEmail: actor.email,
    ip: actor.ip,
    userAgent: actor.userAgent,
    action,
    workspaceId,
    targetType: "webhook",
    targetId: endpoint.id,
    targetName: originOf(endpoint.url),
    detail,
  });
}

export async function createWebhook(
  { db, sealing }: TWebhookDeps,
  workspaceId: string,
  actor: TActor,
  input: { url: string; description: string; events: TWebhookEventType[]; enabled: boolean },
) {
  await checkUrl(db, input.url);
  const id = randomUUID();
  const { signingSecret, secretSealed, secretKeyId } = await sealSecret(sealing, id);
  const endpoint = await db.transaction(async (tx) => {
    const endpoint = await insertWebhookEndpoint(tx, {
      id,
      workspaceId,
      ...input,
      events: [...new Set(input.events)],
      secretSealed,
      secretKeyId,
      createdBy: actor.id,
    });
    await audit(tx, workspaceId, actor, "webhook.created", endpoint, {
      events: endpoint.events,
      enabled: endpoint.enabled,
    });
    return endpoint;
  });
  return { endpoint, signingSecret };
}

export async function updateWebhook(
  { db }: Pick<TWebhookDeps, "db">,
  workspaceId: string,
  actor: TActor,
  endpointId: string,
  input: { url?: string; description?: string; events?: TWebhookEventType[]; enabled?: boolean },
) {
  if (input.url !== undefined) await checkUrl(db, input.url);
  return db.transaction(async (tx) => {
    const endpoint = await updateWebhookEndpoint(tx, workspaceId, endpointId, {
      ...input,
      ...(input.events ? { events: [...new Set(input.events)] } : {}),
    });
    if (!endpoint) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
    const changed = Object.keys(input).filter((k) => input[k as keyof typeof input] !== undefined);
    await audit(tx, workspaceId, actor, "webhook.updated", endpoint, {
      changed,
      events: endpoint.events,
      enabled: endpoint.enabled,
    });
    return endpoint;
  });
}

export async function removeWebhook(
  { db }: Pick<TWebhookDeps, "db">,
  workspaceId: string,
  actor: TActor,
  endpointId: string,
) {
  return db.transaction(async (tx) => {
    const endpoint = await deleteWebhookEndpoint(tx, workspaceId, endpointId);
    if (!endpoint) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
    await audit(tx, workspaceId, actor, "webhook.deleted", endpoint);
    return endpoint;
  });
}

/** A new signing secret, shown once; the old one stops signing at once (receivers switch on the next delivery). */
export async function rotateWebhookSecret(
  { db, sealing }: TWebhookDeps,
  workspaceId: string,
  actor: TActor,
  endpointId: string,
) {
  if (!(await findWebhookEndpoint(db, workspaceId, endpointId)))
    throw new AppError("NOT_FOUND", "No such webhook endpoint.");
  const { signingSecret, secretSealed, secretKeyId } = await sealSecret(sealing, endpointId);
  const endpoint = await db.transaction(async (tx) => {
    const endpoint = await updateWebhookEndpoint(tx, workspaceId, endpointId, {
      secretSealed,
      secretKeyId,
      secretRotatedAt: new Date(),
    });
    if (!endpoint) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
    await audit(tx, workspaceId, actor, "webhook.secret_rotated", endpoint);
    return endpoint;
  });
  return { endpoint, signingSecret };
}

/** Sends a `webhook.test` event to this endpoint only (even while it is disabled). */
export async function testWebhook(
  { db, queues }: TWebhookDeps,
  workspaceId: string,
  actor: TActor,
  endpointId: string,
) {
  const deliveries = await db.transaction(async (tx) => {
    const endpoint = await findWebhookEndpoint(tx, workspaceId, endpointId);
    if (!endpoint) throw new AppError("NOT_FOUND", "No such webhook endpoint.");
    return recordWebhookEvent(tx, {
      workspaceId,
      type: "webhook.test",
      onlyEndpointId: endpointId,
      data: {
        workspaceId,
        endpointId,
        requestedBy: { id: actor.id, email: actor.email },
        at: new Date().toISOString(),
      },
    });
  });
  await deliverSoon(queues, deliveries);
  return { deliveryId: deliveries[0]! };
}
