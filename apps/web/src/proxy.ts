import { NextResponse, type NextRequest } from "next/server";
import { isDevServer, webEnv } from "~/env";
import { contentSecurityPolicy } from "~/server/csp";
import { REQUESTED_PATH_HEADER } from "~/server/requested-path";

/**
 * Every page request: a fresh nonce in the CSP of the request (for Next) and of the response (for
 * the browser), and the requested path (set here, never taken from the client).
 */
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const csp = contentSecurityPolicy(nonce, {
    dev: isDevServer(),
    https: webEnv().NEXTAUTH_URL?.startsWith("https://") ?? false,
  });
  const headers = new Headers(request.headers);
  headers.set("x-nonce", nonce);
  headers.set("content-security-policy", csp);
  headers.set(REQUESTED_PATH_HEADER, request.nextUrl.pathname + request.nextUrl.search);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", csp);
  return response;
}

export const config = {
  matcher: [
    {
      // Pages only: API routes and static files need no nonce (and API bodies must not be buffered
      // for a proxy).
      source: "/((?!api/|_next/static|_next/image|favicon.ico).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
