import type { NextConfig } from "next";

// Pages get their Content-Security-Policy, with a per-request nonce, from src/proxy.ts.
const securityHeaders = [
  { key: "X-Frame-Options", value: "DENY" },
  { key: "X-Content-Type-Options", value: "nosniff" },
  { key: "Referrer-Policy", value: "no-referrer" },
  { key: "Permissions-Policy", value: "camera=(), microphone=(), geolocation=()" },
];

// API answers are data, never documents: nothing in one may run or load anything.
const apiPolicy = [
  {
    key: "Content-Security-Policy",
    value: "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
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
      { source: "/api/:path*", headers: apiPolicy },
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
