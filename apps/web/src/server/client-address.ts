import { isIP } from "node:net";

/** Set by the front door (apps/web/front-door.mjs) from the socket; any incoming copy is removed first. */
export const CLIENT_ADDRESS_HEADER = "x-lockstep-client-address";

const unmapped = (address: string) => address.trim().replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, "");

/**
 * The client's address, for rate limits, the audit log and a token's "last used from".
 * With `trustProxy` (LOCKSTEP_TRUST_PROXY: one proxy in front of Lockstep that appends the address
 * it saw to X-Forwarded-For) the last entry of that header, which the proxy wrote; entries before it
 * are the client's own claims. Otherwise, and when the proxy sent none, the socket's address as the
 * front door states it. Null only when the web runs without its front door.
 */
export function clientAddress(headers: Headers, trustProxy: boolean): string | null {
  if (trustProxy) {
    const last = headers.get("x-forwarded-for")?.split(",").at(-1);
    if (last && isIP(unmapped(last))) return unmapped(last);
  }
  const socket = headers.get(CLIENT_ADDRESS_HEADER);
  return socket && isIP(unmapped(socket)) ? unmapped(socket) : null;
}
