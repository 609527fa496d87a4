"use client";

import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { ReactNode } from "react";
import type { TAppRouter } from "@lockstep/api";
import { Alert, EmptyState } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { useTRPC } from "~/trpc/react";

export type TWorkspace = inferRouterOutputs<TAppRouter>["workspaces"]["get"];

/** Loads the workspace and renders `children` with it, or the loading, not-found or error state every workspace page shows. */
export function WorkspaceGate({
  workspaceId,
  children,
}: {
  workspaceId: string;
  children: (workspace: TWorkspace) => ReactNode;
}) {
  const trpc = useTRPC();
  // An invisible workspace is NOT_FOUND (a malformed id BAD_REQUEST): retrying cannot help.
  const ws = useQuery(trpc.workspaces.get.queryOptions({ workspaceId }, { retry: false }));

  if (ws.isPending) return <p className="text-sm text-slate-500">Loading workspace…</p>;
  if (ws.isError) {
    const code = ws.error.data?.code;
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") {
      return (
        <EmptyState title="Workspace not found">
          It does not exist, or you do not participate in it.{" "}
          <Link href="/dashboard" className="font-medium text-indigo-600 hover:text-indigo-500">
            Back to your workspaces
          </Link>
        </EmptyState>
      );
    }
    return <Alert>{errorMessage(ws.error)}</Alert>;
  }
  return <>{children(ws.data)}</>;
}

/** One entry of an underlined section nav (workspace tabs, the runs pages' sections). */
export function TabLink({ href, current = false, children }: { href: string; current?: boolean; children: ReactNode }) {
  return (
    <Link
      href={href}
      aria-current={current ? "page" : undefined}
      className={
        current
          ? "inline-block border-b-2 border-indigo-600 px-1 pb-3 text-sm font-semibold text-indigo-600"
          : "inline-block border-b-2 border-transparent px-1 pb-3 text-sm font-medium text-slate-500 hover:border-slate-300 hover:text-slate-700"
      }
    >
      {children}
    </Link>
  );
}
