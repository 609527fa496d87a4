import { getServerSession } from "next-auth";
import { getToken } from "next-auth/jwt";
import type { NextRequest } from "next/server";
import type { TUser } from "@lockstep/db";
import { identityFromSession, identityFromToken, liveSessionUser, type TIdentity } from "@lockstep/api";
import { webEnv } from "~/env";
import { authOptions, usesSecureCookies } from "./auth";
import { clientIp, services } from "./services";

/** For server components and pages. */
export async function currentUser(): Promise<TUser | null> {
  const session = (await getServerSession(authOptions())) as { uid?: string; sv?: number } | null;
  return session ? liveSessionUser(services().db, session.uid, session.sv) : null;
}

/**
 * For API requests: an `Authorization: Bearer lst_…` token, else the session cookie. A request
 * with an Authorization header never falls back to cookies, which is what lets such requests skip
 * the origin check (request-guard.ts). One statement either way (@lockstep/api authenticate.ts).
 */
export async function identityFromRequest(req: NextRequest): Promise<TIdentity | null> {
  const header = req.headers.get("authorization");
  if (header) {
    const token = header.replace(/^Bearer\s+/i, "").trim();
    return identityFromToken(services().db, token, clientIp(req.headers), (error) =>
      console.error(
        JSON.stringify({
          level: "warn",
          msg: "could not record an access token's use",
          error: error instanceof Error ? error.message : String(error),
        }),
      ),
    );
  }
  const jwt = await getToken({ req, secret: webEnv().NEXTAUTH_SECRET, secureCookie: usesSecureCookies() });
  return jwt ? identityFromSession(services().db, jwt.uid, jwt.sv) : null;
}
