import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { Card, Logo } from "@lockstep/ui";
import { signUpState } from "@lockstep/api";
import { safeReturnPath } from "@lockstep/validators";
import { oidcConfig, signupDefault, webEnv } from "~/env";
import { services } from "~/server/services";
import { currentUser } from "~/server/session";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

const ERRORS: Record<string, string> = {
  OIDCEmail:
    "Your identity provider did not confirm (verify) your email address, so Lockstep cannot sign you in with it.",
  OIDCSetup:
    "This instance has no administrator yet: its first account is created on the sign-up page with the setup code.",
  SignupOff:
    "Sign-up is turned off on this instance, so your identity cannot get an account here. Ask an administrator.",
  SignupInvite:
    "Sign-up on this instance is by invitation: ask an organization owner or workspace admin to invite your email address, then sign in again.",
  AccountDisabled: "This account has been disabled by an instance admin.",
  OAuthSignin: "The identity provider could not be reached. Try again, or sign in with your password.",
  OAuthCallback: "The identity provider's answer could not be verified. Try again.",
  Callback: "Signing in through the identity provider failed. Try again.",
  SessionRequired: "Sign in to continue.",
};

export default async function SignInPage({
  searchParams,
}: {
  searchParams: Promise<{ error?: string; callbackUrl?: string }>;
}) {
  const { error, callbackUrl } = await searchParams;
  // Only a path on this site: anything else (another origin, a scheme) returns to the dashboard.
  const returnTo = safeReturnPath(callbackUrl);
  if (await currentUser()) redirect(returnTo);
  const env = webEnv();
  const oidc = oidcConfig(env);
  const signup = await signUpState(services().db, signupDefault(env));
  return (
    <main className="flex min-h-full flex-col items-center justify-center px-6 py-12">
      <div className="w-full max-w-sm">
        <Logo className="mb-8 justify-center" />
        <Card>
          <h1 className="text-xl font-semibold text-slate-900">Sign in to Lockstep</h1>
          <p className="mt-1 text-sm text-slate-500">Manage pipeline secrets and launch Nextflow runs.</p>
          {error && ERRORS[error] ? (
            <p role="alert" className="mt-4 rounded-md bg-red-50 px-3 py-2 text-sm text-red-700 ring-1 ring-red-200">
              {ERRORS[error]}
            </p>
          ) : null}
          <SignInForm oidcName={oidc?.name ?? null} returnTo={returnTo} />
        </Card>
        {signup.setupRequired || signup.policy !== "off" ? (
          <p className="mt-6 text-center text-sm text-slate-600">
            New to Lockstep?{" "}
            <Link
              href={returnTo === "/dashboard" ? "/sign-up" : `/sign-up?callbackUrl=${encodeURIComponent(returnTo)}`}
              className="font-semibold text-indigo-600 hover:text-indigo-500"
            >
              {signup.setupRequired ? "Set up this instance" : "Create an account"}
            </Link>
          </p>
        ) : null}
        <p className="mt-4 text-center text-xs text-slate-500">
          Secrets are write-only: once saved, a value is never shown again.
        </p>
      </div>
    </main>
  );
}
