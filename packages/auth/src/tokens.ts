import { createHash, randomBytes } from "node:crypto";

/** Personal access tokens look like `lst_<43 base64url chars>`: recognisable to secret scanners. */
export const TOKEN_PREFIX = "lst_";
const TOKEN_PATTERN = /^lst_[A-Za-z0-9_-]{43}$/;

export function generateAccessToken(): { token: string; prefix: string; tokenHash: string } {
  const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
  return { token, prefix: token.slice(0, 12), tokenHash: hashAccessToken(token) };
}

/** 256 random bits need no slow hash: SHA-256 is enough to make a database leak useless. */
export function hashAccessToken(token: string): string {
  return createHash("sha256").update(token).digest("hex");
}

export function looksLikeAccessToken(text: string): boolean {
  return TOKEN_PATTERN.test(text);
}
