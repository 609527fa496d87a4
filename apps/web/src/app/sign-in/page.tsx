import type { Metadata } from "next";
import { Card, Logo } from "@lockstep/ui";
import { SignInForm } from "./sign-in-form";

export const metadata: Metadata = { title: "Sign in" };

export default function SignInPage() {
  return (
    <main className="flex min-h-full flex-col items-center justify-center px-6 py-12">
      <div className="w-full max-w-sm">
        <Logo className="mb-8 justify-center" />
        <Card>
          <h1 className="text-xl font-semibold text-slate-900">Sign in to Lockstep</h1>
          <p className="mt-1 text-sm text-slate-500">Manage pipeline secrets and launch Nextflow runs.</p>
          <SignInForm />
        </Card>
        <p className="mt-6 text-center text-xs text-slate-500">
          Secrets are write-only: once saved, a value is never shown again.
        </p>
      </div>
    </main>
  );
}
