import type { NextAuthOptions, User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { UNKNOWN_CLIENT, verifyPassword } from "@lockstep/auth";
import {
  createUserWithPersonalWorkspace,
  findUserByEmail,
  findUserById,
  findUserByOidc,
  linkOidcAccount,
} from "@lockstep/db";
import { ZEmail } from "@lockstep/validators";
import { oidcConfig, webEnv } from "~/env";
import { services } from "./services";

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

function headerOf(req: { headers?: Record<string, string | string[] | undefined> } | undefined, name: string): string | null {
  const value = req?.headers?.[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
}

/** next-auth v4: email + password (argon2id) and, when configured, one generic OIDC provider. */
export function authOptions(): NextAuthOptions {
  const env = webEnv();
  const oidc = oidcConfig(env);
  return {
    secret: env.NEXTAUTH_SECRET,
    session: { strategy: "jwt", maxAge: 7 * 24 * 3600 },
    pages: { signIn: "/sign-in", error: "/sign-in" },
    providers: [
      CredentialsProvider({
        id: "credentials",
        name: "Email and password",
        credentials: { email: { label: "Email", type: "email" }, password: { label: "Password", type: "password" } },
        async authorize(credentials, req): Promise<User | null> {
          const { db, limiter } = services();
          const parsed = ZEmail.safeParse(credentials?.email ?? "");
          const password = credentials?.password ?? "";
          const ip = (env.LOCKSTEP_TRUST_PROXY ? headerOf(req, "x-forwarded-for")?.split(",")[0]?.trim() : null) ?? UNKNOWN_CLIENT;
          const waitIp = await limiter.hit("sign-in:ip", ip);
          const waitAccount = parsed.success ? await limiter.hit("sign-in:account", parsed.data) : null;
          const wait = waitIp ?? waitAccount;
          if (wait !== null) throw new Error(`Too many sign-in attempts; try again in ${wait} s.`);
          const user = parsed.success ? await findUserByEmail(db, parsed.data) : null;
          // Always verify (against a dummy hash when there is no account): same time, same answer.
          const ok = await verifyPassword(user?.passwordHash ?? null, password);
          if (!user || !ok) return null;
          if (parsed.success) await limiter.reset("sign-in:account", parsed.data);
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
