import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { signUpState } from "@lockstep/api";
import { Card, Logo } from "@lockstep/ui";
import { safeReturnPath } from "@lockstep/validators";
import { signupDefault, webEnv } from "~/env";
import { services } from "~/server/services";
import { currentUser } from "~/server/session";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Create an account" };
export const dynamic = "force-dynamic";

export default async function SignUpPage({ searchParams }: { searchParams: Promise<{ callbackUrl?: string }> }) {
  const returnTo = safeReturnPath((await searchParams).callbackUrl);
  if (await currentUser()) redirect(returnTo);
  const { policy, setupRequired } = await signUpState(services().db, signupDefault(webEnv()));
  return (
    <main className="flex min-h-full flex-col items-center justify-center px-6 py-12">
      <div className="w-full max-w-sm">
        <Logo className="mb-8 justify-center" />
        <Card>
          <h1 className="text-xl font-semibold text-slate-900">
            {setupRequired ? "Set up this Lockstep instance" : "Create your Lockstep account"}
          </h1>
          {setupRequired ? (
            <>
              <p className="mt-2 text-sm text-slate-600">
                This instance has no administrator yet. The account you create with the one-time{" "}
                <strong>setup code</strong> becomes its instance admin.{" "}
                <code className="font-mono text-xs">npm start</code> printed the code on the line with{" "}
                <code className="font-mono text-xs">setup code:</code> (or your deployment set it as{" "}
                <code className="font-mono text-xs">LOCKSTEP_SETUP_CODE</code>).
              </p>
              <SignUpForm setupCode returnTo={returnTo} />
            </>
          ) : policy === "off" ? (
            <p className="mt-4 text-sm text-slate-600">
              Sign-up is turned off on this instance. Ask an administrator for an account.
            </p>
          ) : (
            <>
              {policy === "invite" ? (
                <p className="mt-2 text-sm text-slate-600">
                  Sign-up is by invitation: use the email address an organization owner or workspace admin invited. Your
                  invitations wait on your dashboard.
                </p>
              ) : null}
              <SignUpForm setupCode={false} returnTo={returnTo} />
            </>
          )}
        </Card>
        <p className="mt-6 text-center text-sm text-slate-600">
          Already have an account?{" "}
          <Link
            href={returnTo === "/dashboard" ? "/sign-in" : `/sign-in?callbackUrl=${encodeURIComponent(returnTo)}`}
            className="font-semibold text-indigo-600 hover:text-indigo-500"
          >
            Sign in
          </Link>
        </p>
      </div>
    </main>
  );
}
