import { describe, expect, it } from "vitest";
import { generateAccessToken, hashAccessToken, looksLikeAccessToken } from "./tokens";

describe("access tokens", () => {
  it("are recognisable, unique, and stored only as a hash", () => {
    const a = generateAccessToken();
    const b = generateAccessToken();
    expect(a.token).toMatch(/^lst_[A-Za-z0-9_-]{43}$/);
    expect(looksLikeAccessToken(a.token)).toBe(true);
    expect(a.token).not.toBe(b.token);
    expect(a.prefix).toBe(a.token.slice(0, 12));
    expect(a.tokenHash).toBe(hashAccessToken(a.token));
    expect(a.tokenHash).not.toContain(a.token.slice(4));
  });
});
