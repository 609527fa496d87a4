import { lookup as dnsLookup, type LookupAddress } from "node:dns";
import http from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction, type Socket } from "node:net";

/**
 * Where a webhook may be delivered: the SSRF boundary (docs/security.md). A workspace admin chooses
 * the URL, so the worker must not become their way into the network it sits in: loopback, private
 * and link-local ranges (the cloud metadata service at 169.254.169.254 included), the worker's own
 * ports, Postgres and Redis. The check is made on the address the socket actually connects to —
 * in the DNS lookup the http agent uses, and again on the connected socket — so a name that
 * resolves to a public address when checked and a private one when used (DNS rebinding) is still
 * refused. Redirects are never followed.
 */
export type TDestinationPolicy = {
  /** Plain http allowed (instance setting; off by default). */
  allowHttp: boolean;
  /** CIDRs an instance admin exempted from the private-address block (tests: 127.0.0.1/32). */
  allowedNetworks: readonly string[];
  /** Ports never called, whatever the address: the worker's health/metrics port, Postgres, Redis. */
  blockedPorts: readonly number[];
};

/** Special-purpose ranges (IANA registries): nothing a public webhook receiver lives on. */
const BLOCKED_V4 = [
  "0.0.0.0/8",
  "10.0.0.0/8",
  "100.64.0.0/10",
  "127.0.0.0/8",
  "169.254.0.0/16",
  "172.16.0.0/12",
  "192.0.0.0/24",
  "192.0.2.0/24",
  "192.88.99.0/24",
  "192.168.0.0/16",
  "198.18.0.0/15",
  "198.51.100.0/24",
  "203.0.113.0/24",
  "224.0.0.0/4",
  "240.0.0.0/4",
];
const BLOCKED_V6 = [
  "::/128",
  "::1/128",
  "::ffff:0:0/96",
  "64:ff9b::/96",
  "64:ff9b:1::/48",
  "100::/64",
  "2001::/23",
  "2001:db8::/32",
  "2002::/16",
  "fc00::/7",
  "fe80::/10",
  "fec0::/10",
  "ff00::/8",
];

/**
 * One BlockList per family: Node checks an IPv4 address against IPv6 rules too (as ::ffff:a.b.c.d),
 * so a single list holding ::/128 or ::ffff:0:0/96 would refuse every IPv4 address.
 */
function listsOf(cidrs: readonly string[]): { ipv4: BlockList; ipv6: BlockList } {
  const lists = { ipv4: new BlockList(), ipv6: new BlockList() };
  for (const cidr of cidrs) {
    const [address, bits] = cidr.trim().split("/") as [string, string];
    const type = isIP(address) === 6 ? "ipv6" : "ipv4";
    lists[type].addSubnet(address, Number(bits), type);
  }
  return lists;
}

const blocked = listsOf([...BLOCKED_V4, ...BLOCKED_V6]);

/** An IPv4-mapped IPv6 address (::ffff:a.b.c.d or ::ffff:xxxx:xxxx) as the IPv4 address it is. */
export function unmapped(address: string): string {
  const a = address.toLowerCase().replace(/^\[|\]$/g, "");
  const dotted = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (dotted) return dotted[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(a);
  if (hex) {
    const hi = parseInt(hex[1]!, 16);
    const lo = parseInt(hex[2]!, 16);
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join(".");
  }
  return a;
}

/** Null when the worker may connect to `address`, else why not ("blocked_address"). */
export function addressRefusal(
  rawAddress: string,
  policy: Pick<TDestinationPolicy, "allowedNetworks">,
): "blocked_address" | null {
  const address = unmapped(rawAddress);
  const family = isIP(address);
  if (family === 0) return "blocked_address";
  const type = family === 6 ? "ipv6" : "ipv4";
  if (policy.allowedNetworks.length > 0 && listsOf(policy.allowedNetworks)[type].check(address, type)) return null;
  return blocked[type].check(address, type) ? "blocked_address" : null;
}

export class DestinationRefused extends Error {
  constructor(readonly kind: "blocked_address" | "blocked_port" | "scheme" | "bad_url") {
    super(`webhook destination refused: ${kind}`);
    this.name = "DestinationRefused";
  }
}

/** A DNS lookup that refuses a name when any address it resolves to is refused (and answers with the checked addresses only). */
function guardedLookup(policy: TDestinationPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, "", 0);
      if (addresses.length === 0 || addresses.some((a) => addressRefusal(a.address, policy))) {
        return callback(Object.assign(new DestinationRefused("blocked_address"), { code: "EBLOCKED" }), "", 0);
      }
      if ((options as { all?: boolean }).all)
        return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

export type TDeliveryOutcome = { statusCode: number | null; durationMs: number; errorKind: string | null };

const TLS_CODES = /^(CERT_|ERR_TLS|ERR_SSL|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED|EPROTO)/;

function kindOf(error: unknown): string {
  if (error instanceof DestinationRefused) return error.kind;
  const code = (error as { code?: string }).code ?? "";
  const name = (error as { name?: string }).name ?? "";
  if (code === "EBLOCKED") return "blocked_address";
  if (name === "TimeoutError" || name === "AbortError" || code === "ETIMEDOUT" || code === "ABORT_ERR")
    return "timeout";
  if (code === "ECONNREFUSED") return "connection_refused";
  if (code === "ECONNRESET" || code === "EPIPE") return "connection_reset";
  if (code === "ENOTFOUND" || code === "EAI_AGAIN" || code === "ENODATA") return "dns";
  if (code === "EHOSTUNREACH" || code === "ENETUNREACH") return "unreachable";
  if (TLS_CODES.test(code)) return "tls";
  return "network";
}

/**
 * POSTs `body` to `rawUrl` under `policy`. Never throws, never follows a redirect, reads at most
 * 64 KiB of the answer and keeps none of it. What comes back is safe to log: a status code, a
 * duration and a fixed word for the kind of failure.
 */
export async function postWebhook(
  rawUrl: string,
  body: string,
  headers: Record<string, string>,
  policy: TDestinationPolicy,
  timeoutMs: number,
): Promise<TDeliveryOutcome> {
  const started = performance.now();
  const done = (statusCode: number | null, errorKind: string | null): TDeliveryOutcome => ({
    statusCode,
    durationMs: Math.round(performance.now() - started),
    errorKind,
  });
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return done(null, "bad_url");
  }
  if (url.protocol !== "https:" && !(url.protocol === "http:" && policy.allowHttp)) return done(null, "scheme");
  if (url.username || url.password) return done(null, "bad_url");
  const port = Number(url.port || (url.protocol === "https:" ? 443 : 80));
  if (policy.blockedPorts.includes(port)) return done(null, "blocked_port");
  const host = url.hostname.replace(/^\[|\]$/g, "");
  // A literal address never goes through the lookup: check it here (and on the socket below).
  if (isIP(host) && addressRefusal(host, policy)) return done(null, "blocked_address");

  const signal = AbortSignal.timeout(timeoutMs);
  const client = url.protocol === "https:" ? https : http;
  return new Promise<TDeliveryOutcome>((resolve) => {
    let settled = false;
    const finish = (statusCode: number | null, errorKind: string | null) => {
      if (settled) return;
      settled = true;
      resolve(done(statusCode, errorKind));
    };
    const request = client.request(
      url,
      {
        method: "POST",
        headers: {
          ...headers,
          "content-type": "application/json",
          "content-length": Buffer.byteLength(body).toString(),
          "user-agent": "Lockstep-Webhooks/1",
        },
        lookup: guardedLookup(policy),
        // No connection reuse: each attempt resolves and checks the address afresh.
        agent: false,
        signal,
      },
      (response) => {
        let seen = 0;
        response.on("data", (chunk: Buffer) => {
          seen += chunk.length;
          if (seen > 65_536) response.destroy();
        });
        const status = response.statusCode ?? 0;
        const ok = status >= 200 && status < 300;
        response.on("end", () =>
          finish(status, ok ? null : status >= 300 && status < 400 ? "redirect_not_followed" : "http_status"),
        );
        response.on("close", () =>
          finish(status, ok ? null : status >= 300 && status < 400 ? "redirect_not_followed" : "http_status"),
        );
        response.on("error", () => finish(status, ok ? null : "http_status"));
      },
    );
    // Belt and braces: the address the socket really connected to must pass too.
    request.on("socket", (socket: Socket) => {
      socket.once("connect", () => {
        const remote = socket.remoteAddress;
        if (!remote || addressRefusal(remote, policy)) request.destroy(new DestinationRefused("blocked_address"));
      });
    });
    request.on("error", (error) => finish(null, kindOf(error)));
    request.end(body);
  });
}
