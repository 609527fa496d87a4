/**
 * A Content-Security-Policy with a fresh nonce for every page: Next puts the nonce on its own
 * scripts (it reads it from the request's CSP header), and no other inline script runs — no
 * 'unsafe-inline' for scripts. Pages are rendered per request (the root layout reads headers), so
 * no prerendered page carries a stale nonce.
 *
 * Styles keep 'unsafe-inline': React `style` attributes (progress bars) need it, and a style
 * cannot run code. API routes get a policy that allows nothing (next.config.ts).
 */
export function contentSecurityPolicy(nonce: string, { dev, https }: { dev: boolean; https: boolean }): string {
  return [
    "default-src 'self'",
    // 'strict-dynamic': scripts the nonce'd ones load (Next's chunks) run; host allow-lists are ignored.
    `script-src 'self' 'nonce-${nonce}' 'strict-dynamic'${dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "frame-ancestors 'none'",
    "form-action 'self'",
    "base-uri 'none'",
    ...(https ? ["upgrade-insecure-requests"] : []),
  ].join("; ");
}
