import type { NextAuthOptions, User } from "next-auth";
import CredentialsProvider from "next-auth/providers/credentials";
import { decideOidcSignIn, oidcEmailVerified, verifyPassword } from "@lockstep/auth";
import {
  effectiveSignupPolicy,
  findUserByEmail,
  findUserById,
  findUserByOidc,
  linkOidcAccount,
  registerUser,
} from "@lockstep/db";
import { waitPhrase, ZEmail } from "@lockstep/validators";
import { oidcConfig, signupDefault, webEnv } from "~/env";
import { clientIp, services } from "./services";

export const SIGN_IN_ERROR = "Email or password is incorrect.";
export const ACCOUNT_DISABLED = "This account has been disabled by an instance admin.";

type TOidcProfile = {
  sub: string;
  email?: string;
  email_verified?: unknown;
  name?: string;
  preferred_username?: string;
};
type TOidcUser = { id: string; email: string | null; name: string; emailVerified: boolean };

const discovered = new Map<string, Promise<{ userinfo_endpoint?: string }>>();

/** The provider's userinfo for this access token; claims for another subject are refused. */
async function userinfo(issuer: string, accessToken: string, sub: string): Promise<Partial<TOidcProfile>> {
  const wellKnown = `${issuer.replace(/\/$/, "")}/.well-known/openid-configuration`;
  if (!discovered.has(issuer))
    discovered.set(
      issuer,
      fetch(wellKnown).then((r) => r.json() as Promise<{ userinfo_endpoint?: string }>),
    );
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
          if (!client)
            throw new Error(
              "This server cannot tell client addresses apart, so it refuses sign-ins; its operator must start the web as npm start does.",
            );
          const account = parsed.success ? parsed.data : "(not an email)";
          const wait = await signInLimiter.attempt(account, client);
          if (wait !== null)
            throw new Error(`Too many failed sign-ins from your address; try again in ${waitPhrase(wait)}.`);
          const user = parsed.success ? await findUserByEmail(db, parsed.data) : null;
          // Always verify (against a dummy hash when there is no account): same time, same answer.
          const ok = await verifyPassword(user?.passwordHash ?? null, password);
          if (!user || !ok) return null;
          await signInLimiter.succeeded(account, client);
          // Said only to someone who knew the password.
          if (user.disabledAt) throw new Error(ACCOUNT_DISABLED);
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
                const incomplete = !claims.email || claims.email_verified === undefined;
                const merged =
                  incomplete && tokens.access_token
                    ? { ...(await userinfo(oidc.issuer, tokens.access_token, claims.sub)), ...claims }
                    : claims;
                return {
                  id: claims.sub,
                  email: merged.email ?? null,
                  name: merged.name ?? merged.preferred_username ?? merged.email ?? claims.sub,
                  // Only `email_verified: true` counts: a missing claim is not a verified email.
                  emailVerified: oidcEmailVerified(merged),
                };
              },
            },
          ]
        : []),
    ],
    callbacks: {
      /**
       * OIDC: an identity already linked signs in as its account. Otherwise only a verified email
       * links it to an existing account or creates one (as the sign-up policy allows); see
       * decideOidcSignIn. Refusals go back to the sign-in page with a reason.
       */
      async signIn({ account, user }) {
        if (account?.provider !== "oidc") return true;
        const { db } = services();
        const u = user as TOidcUser;
        if (!u.id) return "/sign-in?error=OIDCEmail";
        const provider = new URL(oidc!.issuer).host;
        const linked = await findUserByOidc(db, provider, u.id);
        const byEmail = !linked && u.email ? await findUserByEmail(db, u.email) : null;
        const decision = decideOidcSignIn({ linked, email: u.email, emailVerified: u.emailVerified, byEmail });
        switch (decision.action) {
          case "sign-in":
            return true;
          case "link":
            await linkOidcAccount(db, decision.userId, provider, u.id);
            return true;
          case "refuse":
            return `/sign-in?error=${decision.reason === "disabled" ? "AccountDisabled" : "OIDCEmail"}`;
          case "create": {
            const policy = await effectiveSignupPolicy(db, signupDefault(env));
            const result = await registerUser(db, {
              email: u.email!,
              name: u.name ?? u.email!,
              passwordHash: null,
              oidc: { provider, subject: u.id },
              setupCode: null,
              policy,
            });
            if (result.status === "created") return true;
            if (result.status === "needs-setup-code") return "/sign-in?error=OIDCSetup";
            if (result.status === "refused")
              return `/sign-in?error=${result.policy === "off" ? "SignupOff" : "SignupInvite"}`;
            // Registered meanwhile under this email: sign in only through a link, decided again next time.
            return "/sign-in?error=OIDCEmail";
          }
        }
      },
      async jwt({ token, user, account }) {
        const { db } = services();
        if (account?.provider === "oidc") {
          // signIn has linked or created the account for this identity.
          const local = await findUserByOidc(db, new URL(oidc!.issuer).host, (user as TOidcUser).id);
          if (!local) throw new Error("the OIDC identity has no account");
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
