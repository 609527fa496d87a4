import { CLIENT_ADDRESS_HEADER } from "./client-address";

/**
 * Checks every API request passes before tRPC, next-auth or the audit export sees it. Body size
 * and a declared length are the front door's (front-door.mjs); these need the parsed request.
 *
 * - The front door ran: without it there would be no client address and no body limit, so the
 *   request is refused rather than served without them (500, saying what is wrong).
 * - A state-changing request (not GET/HEAD) comes from a page of this app: a browser's
 *   `Sec-Fetch-Site` is `same-origin` (or `none`: typed by the user), and its `Origin` is the
 *   public URL's origin or the host the browser addressed. Anything else is cross-site → 403.
 *   A request with neither header is no browser's (every current browser sends `Origin` on a
 *   POST), so it carries no victim's cookies: it passes, and needs a session cookie or token it
 *   owns like any other.
 * - A request carrying `Authorization: Bearer …` skips the origin check: the API then ignores
 *   cookies altogether (session.ts), and a page elsewhere cannot attach that header without a
 *   CORS preflight, which Lockstep never grants. Such a request cannot ride on a victim's login.
 * - tRPC mutations are JSON only: `multipart/form-data`, `text/plain` and the rest (what an HTML
 *   form can send cross-site without a preflight) → 415.
 */
export type TGuard = {
  /** NEXTAUTH_URL: the address users reach Lockstep at. */
  publicUrl: string | undefined;
  /** Require `Content-Type: application/json` on state-changing requests (tRPC). */
  jsonOnly: boolean;
};

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function refusal(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status, headers: { "cache-control": "no-store" } });
}

/** Why this state-changing request is cross-site, or null when it is not. */
export function crossSiteReason(headers: Headers, publicUrl: string | undefined): string | null {
  if (/^Bearer\s+\S/i.test(headers.get("authorization") ?? "")) return null;
  const site = headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none")
    return `it was sent from another site (Sec-Fetch-Site: ${site})`;
  const origin = headers.get("origin");
  if (origin === null) return null;
  if (isOwnOrigin(origin, headers.get("host"), publicUrl)) return null;
  return "it was sent from another origin";
}

function isOwnOrigin(origin: string, host: string | null, publicUrl: string | undefined): boolean {
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false; // "null" (sandboxed frames, some redirects) and garbage
  }
  if (parsed.origin !== origin) return false;
  const expected = publicUrl ? new URL(publicUrl) : null;
  if (expected && parsed.origin === expected.origin) return true;
  // The host the browser addressed (e.g. 127.0.0.1 while the public URL says localhost), over the
  // public URL's scheme: a page on any other host is another site.
  return host !== null && parsed.host === host.toLowerCase() && parsed.protocol === (expected?.protocol ?? "http:");
}

function isJson(contentType: string | null): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? "");
}

/** A response refusing the request, or null to let it through. */
export function guardRequest(req: Request, guard: TGuard): Response | null {
  if (!req.headers.get(CLIENT_ADDRESS_HEADER)) {
    console.error(
      JSON.stringify({
        level: "error",
        msg: "request without the front door's client address: start the web with node --import ./front-door.mjs (npm start and the Docker image do)",
      }),
    );
    return refusal(
      500,
      "NO_FRONT_DOOR",
      "This server was started without its front door (apps/web/front-door.mjs), so it refuses API requests.",
    );
  }
  if (SAFE_METHODS.has(req.method)) return null;
  const crossSite = crossSiteReason(req.headers, guard.publicUrl);
  if (crossSite)
    return refusal(
      403,
      "CROSS_SITE",
      `Refused: ${crossSite}. Lockstep accepts changes only from its own pages or with an access token.`,
    );
  if (guard.jsonOnly && !isJson(req.headers.get("content-type"))) {
    return refusal(415, "UNSUPPORTED_MEDIA_TYPE", "Send API calls as JSON (Content-Type: application/json).");
  }
  return null;
}
