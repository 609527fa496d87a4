import type { Metadata } from "next";
import Link from "next/link";
import { Card, Logo } from "@lockstep/ui";

export const metadata: Metadata = { title: "Page not found" };

/** Any address Lockstep does not have (HTTP 404), outside the signed-in pages' frame. */
export default function NotFound() {
  return (
    <main className="flex min-h-full flex-col items-center justify-center px-6 py-12">
      <div className="w-full max-w-md">
        <Logo className="mb-8 justify-center" />
        <Card>
          <p className="text-sm font-semibold text-indigo-600">404</p>
          <h1 className="mt-1 text-xl font-semibold text-slate-900">Page not found</h1>
          <p className="mt-2 text-sm text-slate-600">
            There is nothing at this address. Check the link, or start again from your dashboard.
          </p>
          <Link
            href="/dashboard"
            className="mt-6 inline-block text-sm font-semibold text-indigo-600 hover:text-indigo-500"
          >
            Go to your dashboard →
          </Link>
        </Card>
      </div>
    </main>
  );
}
