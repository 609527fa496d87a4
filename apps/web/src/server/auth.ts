import type { NextAuthOptions, User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { verifyPassword } from "@lockstep/auth";
import {
  createUserWithPersonalWorkspace,
  findUserByEmail,
  findUserById,
  findUserByOidc,
  linkOidcAccount,
} from "@lockstep/db";
import { ZEmail } from "@lockstep/validators";
import { oidcConfig, webEnv } from "~/env";
import { clientIp, services } from "./services";

export const SIGN_IN_ERROR = "Email or password is incorrect.";

type TOidcProfile = { sub: string; email?: string; email_verified?: boolean; name?: string; preferred_username?: string };
type TOidcUser = { id: string; email: string | null; name: string; emailVerified: boolean };

const discovered = new Map<string, Promise<{ userinfo_endpoint?: string }>>();

/** The provider's userinfo for this access token; claims for another subject are refused. */
async function userinfo(issuer: string, accessToken: string, sub: string): Promise<Partial<TOidcProfile>> {
  const wellKnown = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  if (!discovered.has(issuer)) discovered.set(issuer, fetch(wellKnown).then((r) => r.json() as Promise<{ userinfo_endpoint?: string }>));
  const endpoint = (await discovered.get(issuer)!).userinfo_endpoint;
  if (!endpoint) return {};
  const response = await fetch(endpoint, { headers: { authorization: `Bearer ${accessToken}` } });
  if (!response.ok) return {};
  const info = (await response.json()) as TOidcProfile;
  return info.sub === sub ? info : {};
}

/** next-auth hands `authorize` the request's headers as a plain object. */
function headersOf(req: { headers?: Record<string, string | string[] | undefined> } | undefined): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req?.headers ?? {})) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, v);
  }
  return headers;
}

/** Session cookies are `Secure` (and `__Secure-` prefixed) when users reach Lockstep over https. */
export function usesSecureCookies(): boolean {
  return webEnv().NEXTAUTH_URL?.startsWith("https://") ?? false;
}

/** next-auth v4: email + password (argon2id) and, when configured, one generic OIDC provider. */
export function authOptions(): NextAuthOptions {
  const env = webEnv();
  const oidc = oidcConfig(env);
  return {
    secret: env.NEXTAUTH_SECRET,
    useSecureCookies: usesSecureCookies(),
    session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        id: "credentials",
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req): Promise<User | null> {
          const { db, signInLimiter } = services();
          const parsed = ZEmail.safeParse(credentials?.email ?? "");
          const password = credentials?.password ?? "";
          // Backoff is per client address and account (see @lockstep/auth rate-limit.ts): a client
          // that has not failed against this account always gets its password checked.
          const client = clientIp(headersOf(req));
          if (!client) throw new Error("This server cannot tell client addresses apart, so it refuses sign-ins; its operator must start the web as npm start does.");
          const account = parsed.success ? parsed.data : "(not an email)";
          const wait = await signInLimiter.attempt(account, client);
          if (wait !== null) throw new Error(`Too many failed sign-ins from your address; try again in ${wait} s.`);
          const user = parsed.success ? await findUserByEmail(db, parsed.data) : null;
          // Always verify (against a dummy hash when there is no account): same time, same answer.
          const ok = await verifyPassword(user?.passwordHash ?? null, password);
          if (!user || !ok) return null;
          await signInLimiter.succeeded(account, client);
          return { id: user.id, email: user.email, name: user.name };
        },
      }),
      ...(oidc
        ? [
            {
              id: "oidc",
              name: oidc.name,
              type: "oauth" as const,
              wellKnown: `${oidc.issuer.replace(/\/$/, "")}/.well-known/openid-configuration`,
              clientId: oidc.clientId,
              clientSecret: oidc.clientSecret,
              authorization: { params: { scope: "openid email profile" } },
              idToken: true,
              checks: ["pkce" as const, "state" as const],
              // The ID token is validated; conformant providers may put only `sub` in it, so the
              // granted email and name come from the userinfo endpoint when missing.
              async profile(claims: TOidcProfile, tokens: { access_token?: string }) {
                const merged = !claims.email && tokens.access_token ? { ...(await userinfo(oidc.issuer, tokens.access_token, claims.sub)), ...claims } : claims;
                return {
                  id: claims.sub,
                  email: merged.email ?? null,
                  name: merged.name ?? merged.preferred_username ?? merged.email ?? claims.sub,
                  emailVerified: merged.email_verified !== false,
                };
              },
            },
          ]
        : []),
    ],
    callbacks: {
      async signIn({ account, user }) {
        if (account?.provider !== "oidc") return true;
        const u = user as TOidcUser;
        // An OIDC identity is linked to an existing account only through a verified email.
        if (!u.id || !u.email || !u.emailVerified) return "/sign-in?error=OIDCEmail";
        return true;
      },
      async jwt({ token, user, account }) {
        const { db } = services();
        if (account?.provider === "oidc") {
          const u = user as TOidcUser;
          const provider = new URL(oidc!.issuer).host;
          let local = await findUserByOidc(db, provider, u.id);
          if (!local && u.email) {
            local = await findUserByEmail(db, u.email);
            if (local) await linkOidcAccount(db, local.id, provider, u.id);
          }
          local ??= await createUserWithPersonalWorkspace(db, {
            email: u.email!,
            name: u.name ?? u.email!,
            passwordHash: null,
            oidc: { provider, subject: u.id },
          });
          if (!local) throw new Error("could not provision the OIDC account");
          token.uid = local.id;
          token.sv = local.sessionVersion;
        } else if (user) {
          const local = await findUserById(db, user.id);
          token.uid = user.id;
          token.sv = local?.sessionVersion ?? 0;
        }
        return token;
      },
      async session({ session, token }) {
        return { ...session, uid: token.uid as string | undefined, sv: token.sv as number | undefined };
      },
    },
  };
}
