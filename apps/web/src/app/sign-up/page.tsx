import type { Metadata } from "next";
import Link from "next/link";
import { redirect } from "next/navigation";
import { Card, Logo } from "@lockstep/ui";
import { webEnv } from "~/env";
import { currentUser } from "~/server/session";
import { SignUpForm } from "./sign-up-form";

export const metadata: Metadata = { title: "Create an account" };
export const dynamic = "force-dynamic";

export default async function SignUpPage() {
  if (await currentUser()) redirect("/dashboard");
  const enabled = webEnv().LOCKSTEP_SIGNUP_ENABLED;
  return (
    <main className="flex min-h-full flex-col items-center justify-center px-6 py-12">
      <div className="w-full max-w-sm">
        <Logo className="mb-8 justify-center" />
        <Card>
          <h1 className="text-xl font-semibold text-slate-900">Create your Lockstep account</h1>
          {enabled ? (
            <SignUpForm />
          ) : (
            <p className="mt-4 text-sm text-slate-600">Sign-up is turned off on this instance. Ask an administrator for an account.</p>
          )}
        </Card>
        <p className="mt-6 text-center text-sm text-slate-600">
          Already have an account?{" "}
          <Link href="/sign-in" className="font-semibold text-indigo-600 hover:text-indigo-500">
            Sign in
          </Link>
        </p>
      </div>
    </main>
  );
}
