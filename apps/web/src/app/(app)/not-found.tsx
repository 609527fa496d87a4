import type { Metadata } from "next";
import Link from "next/link";

export const metadata: Metadata = { title: "Not found" };

/**
 * A workspace, organization or run the user cannot see, inside the signed-in frame (HTTP 404).
 * Same words whether it does not exist or is someone else's: ids cannot be probed.
 */
export default function AppNotFound() {
  return (
    <div className="mx-auto max-w-lg rounded-xl border border-dashed border-slate-300 bg-white px-6 py-12 text-center">
      <p className="text-sm font-semibold text-indigo-600">404</p>
      <h1 className="mt-1 text-lg font-semibold text-slate-900">Not found</h1>
      <p className="mt-2 text-sm text-slate-600">It does not exist, or it is not shared with you.</p>
      <Link href="/dashboard" className="mt-6 inline-block text-sm font-semibold text-indigo-600 hover:text-indigo-500">
        Back to your dashboard
      </Link>
    </div>
  );
}
