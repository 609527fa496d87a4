import { describe, expect, it } from "vitest";
import { contentSecurityPolicy } from "./csp";

describe("content security policy", () => {
  it("allows scripts by nonce only: no 'unsafe-inline', no eval outside next dev", () => {
    const csp = contentSecurityPolicy("abc123", { dev: false, https: false });
    const scripts = csp.split("; ").find((d) => d.startsWith("script-src "))!;
    expect(scripts).toBe("script-src 'self' 'nonce-abc123' 'strict-dynamic'");
    expect(csp).toContain("object-src 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain("upgrade-insecure-requests");
    expect(contentSecurityPolicy("n", { dev: true, https: true })).toMatch(
      /script-src [^;]*'unsafe-eval'.*upgrade-insecure-requests$/,
    );
  });
});
