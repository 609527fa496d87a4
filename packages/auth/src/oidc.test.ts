import { describe, expect, it } from "vitest";
import { decideOidcSignIn, oidcEmailVerified } from "./oidc";

const alice = { id: "11111111-1111-4111-8111-111111111111", disabledAt: null };
const disabled = { id: "22222222-2222-4222-8222-222222222222", disabledAt: new Date() };

describe("oidcEmailVerified", () => {
  it("is true only for the boolean true", () => {
    expect(oidcEmailVerified({ email_verified: true })).toBe(true);
    for (const value of [undefined, false, "true", 1, null, "yes"])
      expect([value, oidcEmailVerified({ email_verified: value })]).toEqual([value, false]);
    expect(oidcEmailVerified({})).toBe(false);
  });
});

describe("decideOidcSignIn", () => {
  it("links to the account with the same email only when the email is verified (positive control)", () => {
    expect(decideOidcSignIn({ linked: null, email: "alice@example.org", emailVerified: true, byEmail: alice })).toEqual(
      { action: "link", userId: alice.id },
    );
  });

  it("never links through an email the provider did not verify (missing or false claim)", () => {
    for (const claims of [{}, { email_verified: false }, { email_verified: "true" }]) {
      const decision = decideOidcSignIn({
        linked: null,
        email: "alice@example.org",
        emailVerified: oidcEmailVerified(claims),
        byEmail: alice,
      });
      expect([claims, decision]).toEqual([claims, { action: "refuse", reason: "unverified-email" }]);
    }
  });

  it("creates no account for an unverified email either (it would pre-hijack the address)", () => {
    expect(decideOidcSignIn({ linked: null, email: "new@example.org", emailVerified: false, byEmail: null })).toEqual({
      action: "refuse",
      reason: "unverified-email",
    });
    expect(decideOidcSignIn({ linked: null, email: "new@example.org", emailVerified: true, byEmail: null })).toEqual({
      action: "create",
    });
  });

  it("signs an already linked identity in whatever its email claims, unless the account is disabled", () => {
    expect(decideOidcSignIn({ linked: alice, email: null, emailVerified: false, byEmail: null })).toEqual({
      action: "sign-in",
      userId: alice.id,
    });
    expect(decideOidcSignIn({ linked: disabled, email: "x@example.org", emailVerified: true, byEmail: null })).toEqual({
      action: "refuse",
      reason: "disabled",
    });
    expect(decideOidcSignIn({ linked: null, email: "x@example.org", emailVerified: true, byEmail: disabled })).toEqual({
      action: "refuse",
      reason: "disabled",
    });
  });

  it("refuses an identity without an email", () => {
    expect(decideOidcSignIn({ linked: null, email: null, emailVerified: true, byEmail: null })).toEqual({
      action: "refuse",
      reason: "no-email",
    });
  });
});
