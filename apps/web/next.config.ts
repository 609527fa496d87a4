import type { NextConfig } from "next";

const securityHeaders = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
  {
    key: "Content-Security-Policy",
    value: [
      "default-src 'self'",
      "script-src 'self' 'unsafe-inline'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "form-action 'self'",
      "base-uri 'self'",
    ].join("; "),
  },
];

const config: NextConfig = {
  // Docker images build with NEXT_OUTPUT=standalone; `next start` needs the default output.
  output: process.env.NEXT_OUTPUT === "standalone" ? "standalone" : undefined,
  transpilePackages: [
    "@lockstep/api",
    "@lockstep/auth",
    "@lockstep/crypto",
    "@lockstep/db",
    "@lockstep/launcher",
    "@lockstep/queue",
    "@lockstep/ui",
    "@lockstep/validators",
  ],
  serverExternalPackages: ["bullmq", "ioredis", "postgres"],
  poweredByHeader: false,
  typedRoutes: false,
  async headers() {
    return [
      { source: "/:path*", headers: securityHeaders },
      // HSTS only when the request reached us over TLS (directly or through a proxy that says so):
      // sent over plain HTTP it would be ignored at best and lock out a dev instance at worst.
      {
        source: "/:path*",
        has: [{ type: "header", key: "x-forwarded-proto", value: "https" }],
        headers: [{ key: "Strict-Transport-Security", value: "max-age=63072000; includeSubDomains" }],
      },
    ];
  },
};

export default config;
