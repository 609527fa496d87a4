import { getServerSession } from "next-auth";
import { getToken } from "next-auth/jwt";
import type { NextRequest } from "next/server";
import { findUserById, type TUser } from "@lockstep/db";
import { identityFromAccessToken, type TIdentity } from "@lockstep/api";
import { webEnv } from "~/env";
import { authOptions, usesSecureCookies } from "./auth";
import { clientIp, services } from "./services";

/**
 * A session is valid while its user exists, is not disabled, and has not signed out everywhere
 * (nor had their sessions ended by an instance admin) since.
 */
async function liveUser(uid: unknown, sv: unknown): Promise<TUser | null> {
  if (typeof uid !== "string") return null;
  const user = await findUserById(services().db, uid);
  if (!user || user.disabledAt || user.sessionVersion !== (typeof sv === "number" ? sv : -1)) return null;
  return user;
}

/** For server components and pages. */
export async function currentUser(): Promise<TUser | null> {
  const session = (await getServerSession(authOptions())) as { uid?: string; sv?: number } | null;
  return session ? liveUser(session.uid, session.sv) : null;
}

/**
 * For API requests: an `Authorization: Bearer lst_…` token, else the session cookie. A request
 * with an Authorization header never falls back to cookies, which is what lets such requests skip
 * the origin check (request-guard.ts).
 */
export async function identityFromRequest(req: NextRequest): Promise<TIdentity | null> {
  const header = req.headers.get("authorization");
  if (header) {
    const token = header.replace(/^Bearer\s+/i, "").trim();
    return identityFromAccessToken(services().db, token, clientIp(req.headers));
  }
  const jwt = await getToken({ req, secret: webEnv().NEXTAUTH_SECRET, secureCookie: usesSecureCookies() });
  const user = jwt ? await liveUser(jwt.uid, jwt.sv) : null;
  return user ? { userId: user.id, via: "session" } : null;
}
