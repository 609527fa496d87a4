import { hashAccessToken, looksLikeAccessToken } from "@lockstep/auth";
import { findUserByTokenHash, touchAccessToken, type TDatabase } from "@lockstep/db";
import type { TIdentity } from "../trpc";

/** The bearer token of an `Authorization` header, or null when there is none of that form. */
export function bearerTokenOf(header: string | null): string | null {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return match ? match[1]! : null;
}

/**
 * The identity an access token stands for (live, unexpired, unrevoked), recording its use; null
 * for anything else. One implementation for tRPC and the REST API (apps/web session.ts).
 */
export async function identityFromAccessToken(db: TDatabase, token: string, ip: string | null): Promise<TIdentity | null> {
  if (!looksLikeAccessToken(token)) return null;
  const found = await findUserByTokenHash(db, hashAccessToken(token));
  if (!found) return null;
  await touchAccessToken(db, found.token.id, ip);
  return { userId: found.user.id, via: "token", tokenId: found.token.id, scopes: found.token.scopes };
}
