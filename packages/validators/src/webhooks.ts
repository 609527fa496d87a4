import { z } from "zod";

/** Events an endpoint may subscribe to. `webhook.test` is sent only by "Send test event". */
export const webhookEventTypes = [
  "run.finished",
  "run.cleanup_failed",
  "secret.created",
  "secret.overwritten",
  "secret.deleted",
] as const;
export type TWebhookEventType = (typeof webhookEventTypes)[number];
export const ZWebhookEventType = z.enum(webhookEventTypes, {
  error: `events: each must be one of ${webhookEventTypes.join(", ")}.`,
});
export type TWebhookMessageType = TWebhookEventType | "webhook.test";

export const webhookEventLabels: Record<TWebhookEventType, string> = {
  "run.finished": "Run finished (any end: succeeded, failed, cancelled, lost)",
  "run.cleanup_failed": "A run's secret copies could not be deleted",
  "secret.created": "Workspace secret created",
  "secret.overwritten": "Workspace secret overwritten",
  "secret.deleted": "Workspace secret deleted",
};

export const WEBHOOK_URL_MAX = 2048;

/**
 * What is wrong with a webhook URL, or null. Only the form is checked here (scheme, no
 * credentials, no fragment); where it points is checked by the worker at connect time, on the
 * address actually used (docs/webhooks.md).
 */
export function webhookUrlProblem(raw: string, opts: { allowHttp: boolean }): string | null {
  if (raw.length > WEBHOOK_URL_MAX) return `url: must be at most ${WEBHOOK_URL_MAX} characters.`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return "url: must be an absolute URL such as https://hooks.example.com/lockstep.";
  }
  if (url.protocol !== "https:" && !(opts.allowHttp && url.protocol === "http:")) {
    return opts.allowHttp
      ? "url: must start with https:// or http://."
      : "url: must start with https:// (plain http is allowed only when an instance admin allows it).";
  }
  if (url.username || url.password)
    return "url: must not carry a user name or password; authenticate with the signature instead.";
  if (url.hash) return "url: must not have a #fragment.";
  if (!url.hostname) return "url: must name a host.";
  return null;
}

export const ZWebhookDescription = z.string().trim().max(500, "description: at most 500 characters.");

/** 4, 6 or 0 (not an IP address); no node:net, so browsers can use it too. */
export function ipVersion(address: string): 0 | 4 | 6 {
  if (/^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/.test(address)) return 4;
  if (!address.includes(":") || !/^[0-9a-fA-F:.]+$/.test(address)) return 0;
  try {
    new URL(`http://[${address}]/`);
    return 6;
  } catch {
    return 0;
  }
}

/** A CIDR (IPv4 or IPv6) an instance admin exempts from the private-address block. */
export function cidrProblem(cidr: string): string | null {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  const version = m ? ipVersion(m[1]!) : 0;
  if (!m || version === 0) return `"${cidr}" is not a network in CIDR form (e.g. 127.0.0.1/32 or fd00::/8).`;
  const bits = Number(m[2]);
  if (bits > (version === 4 ? 32 : 128)) return `"${cidr}": the prefix length is at most ${version === 4 ? 32 : 128}.`;
  return null;
}

export const ZCidrList = z
  .array(z.string().trim().max(64))
  .max(32, "webhooksAllowedNetworks: at most 32 networks.")
  .superRefine((list, ctx) => {
    for (const cidr of list) {
      const problem = cidrProblem(cidr);
      if (problem) ctx.addIssue({ code: "custom", message: `webhooksAllowedNetworks: ${problem}` });
    }
  });
