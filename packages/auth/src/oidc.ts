/**
 * What to do with an OpenID Connect sign-in. An identity (provider + subject) already linked to an
 * account signs in as that account. Otherwise its email is the only bridge to an account, and an
 * email the provider has not verified proves nothing: anyone can register any address at many
 * providers. So an unverified email neither links to an existing account (that would hand the
 * account to whoever typed the address) nor creates one (that would pre-hijack the address: its
 * real owner could then never sign up, and invitations sent to it would reach the impostor).
 */

/** Only the JSON boolean `true` counts; a missing claim, `false`, or the string "true" do not. */
export function oidcEmailVerified(claims: { email_verified?: unknown }): boolean {
  return claims.email_verified === true;
}

type TAccount = { id: string; disabledAt: Date | null };

export type TOidcDecision =
  | { action: "sign-in"; userId: string }
  | { action: "link"; userId: string }
  /** No account uses this verified email: one may be created, as the sign-up policy allows. */
  | { action: "create" }
  | { action: "refuse"; reason: "disabled" | "no-email" | "unverified-email" };

export function decideOidcSignIn(facts: {
  /** The account this provider + subject is already linked to, if any. */
  linked: TAccount | null;
  email: string | null;
  emailVerified: boolean;
  /** The account using `email`, if any (looked up only when the identity is not linked). */
  byEmail: TAccount | null;
}): TOidcDecision {
  if (facts.linked)
    return facts.linked.disabledAt
      ? { action: "refuse", reason: "disabled" }
      : { action: "sign-in", userId: facts.linked.id };
  if (!facts.email) return { action: "refuse", reason: "no-email" };
  if (!facts.emailVerified) return { action: "refuse", reason: "unverified-email" };
  if (facts.byEmail)
    return facts.byEmail.disabledAt
      ? { action: "refuse", reason: "disabled" }
      : { action: "link", userId: facts.byEmail.id };
  return { action: "create" };
}
