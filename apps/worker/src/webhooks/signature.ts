import { createHmac } from "node:crypto";

/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com/): the secret is `whsec_` +
 * base64 of 32 random bytes; the key is those bytes; the signed content is
 * `<webhook-id>.<webhook-timestamp>.<body>`; `webhook-signature` is `v1,<base64 HMAC-SHA256>`.
 */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const key = Buffer.from(secret.startsWith("whsec_") ? secret.slice("whsec_".length) : secret, "base64");
  return `v1,${createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64")}`;
}

export function webhookHeaders(secret: string, id: string, body: string, now = Date.now()): Record<string, string> {
  const timestamp = Math.floor(now / 1000);
  return {
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(secret, id, timestamp, body),
  };
}
