import {
  findUserById,
  findUserByTokenHash,
  tokenTouchDue,
  touchAccessToken,
  type TDatabase,
  type TUser,
} from "@lockstep/db";
import { hashAccessToken, looksLikeAccessToken } from "@lockstep/auth";
import type { TIdentity } from "../trpc";

/**
 * Who a request is, in at most one statement (DESIGN §6; issue #15): the token and its user in one
 * join, or the session's user by id. The user row travels on the identity, so the procedure does
 * not fetch it again. There is no cache: a revoked token, a disabled account or an ended session
 * fails on the very next request. A token's "last used" is written at most once a minute per
 * address, after the answer is decided, and never holds the request up.
 */
export async function identityFromToken(
  db: TDatabase,
  token: string,
  ip: string | null,
  onTouchError: (error: unknown) => void = () => {},
): Promise<TIdentity | null> {
  if (!looksLikeAccessToken(token)) return null;
  const found = await findUserByTokenHash(db, hashAccessToken(token));
  if (!found) return null;
  if (tokenTouchDue(found.token, ip)) void touchAccessToken(db, found.token.id, ip).catch(onTouchError);
  return { userId: found.user.id, via: "token", tokenId: found.token.id, scopes: found.token.scopes, user: found.user };
}

/** A session is valid while its user exists, is not disabled, and has not signed out everywhere since. */
export async function identityFromSession(
  db: TDatabase,
  uid: unknown,
  sv: unknown,
): Promise<(TIdentity & { user: TUser }) | null> {
  const user = await liveSessionUser(db, uid, sv);
  return user ? { userId: user.id, via: "session", user } : null;
}

export async function liveSessionUser(db: TDatabase, uid: unknown, sv: unknown): Promise<TUser | null> {
  if (typeof uid !== "string") return null;
  const user = await findUserById(db, uid);
  if (!user || user.disabledAt || user.sessionVersion !== (typeof sv === "number" ? sv : -1)) return null;
  return user;
}
