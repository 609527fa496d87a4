"use client";

import { useQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import type { ReactNode } from "react";
import { can } from "@lockstep/auth/permissions";
import type { TAppRouter } from "@lockstep/api";
import { Alert, EmptyState } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { useTRPC } from "~/trpc/react";

export type TWorkspace = inferRouterOutputs<TAppRouter>["workspaces"]["get"];

export type TRunsSection = "runs" | "launch" | "pipelines" | "compute-envs" | "credentials";

/**
 * The frame of the run pages: where you are (organization / workspace), the run sections of the
 * workspace, and the page itself once the workspace (and so the caller's role) is known.
 */
export function WorkspaceFrame({
  workspaceId,
  section,
  crumbs,
  children,
}: {
  workspaceId: string;
  section: TRunsSection;
  /** Extra breadcrumb after the section (e.g. the run on a run page). */
  crumbs?: ReactNode;
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

  const w = ws.data;
  const base = `/w/${w.id}`;
  const sections: { id: TRunsSection; label: string; href: string }[] = [
    { id: "runs", label: "Runs", href: `${base}/runs` },
    ...(can(w.role, "runs:launch") ? [{ id: "launch" as const, label: "Launch", href: `${base}/launch` }] : []),
    { id: "pipelines", label: "Pipelines", href: `${base}/pipelines` },
    { id: "compute-envs", label: "Compute environments", href: `${base}/compute-envs` },
    { id: "credentials", label: "Credentials", href: `${base}/credentials` },
  ];

  return (
    <>
      <nav aria-label="Breadcrumb" className="mb-4 text-sm text-slate-500">
        <ol className="flex flex-wrap items-center gap-1.5">
          <li>
            {w.orgId ? (
              <Link href={`/orgs/${w.orgId}`} className="font-medium text-slate-600 hover:text-indigo-600">
                {w.orgName}
              </Link>
            ) : (
              "Personal"
            )}
          </li>
          <li aria-hidden="true" className="text-slate-300">
            /
          </li>
          <li>
            <Link href={base} className="font-medium text-slate-600 hover:text-indigo-600">
              {w.name}
            </Link>
          </li>
          {crumbs}
        </ol>
      </nav>
      <nav aria-label="Pipelines and runs" className="mb-8 border-b border-slate-200">
        <ul className="-mb-px flex flex-wrap gap-x-6">
          {sections.map((s) => (
            <li key={s.id}>
              <Link
                href={s.href}
                aria-current={section === s.id ? "page" : undefined}
                className={
                  section === s.id
                    ? "inline-block border-b-2 border-indigo-600 px-1 pb-3 text-sm font-semibold text-indigo-600"
                    : "inline-block border-b-2 border-transparent px-1 pb-3 text-sm font-medium text-slate-500 hover:border-slate-300 hover:text-slate-700"
                }
              >
                {s.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      {children(w)}
    </>
  );
}

/** A breadcrumb entry after the workspace, for use in `crumbs`. */
export function Crumb({ href, children }: { href?: string; children: ReactNode }) {
  return (
    <>
      <li aria-hidden="true" className="text-slate-300">
        /
      </li>
      <li>
        {href ? (
          <Link href={href} className="font-medium text-slate-600 hover:text-indigo-600">
            {children}
          </Link>
        ) : (
          <span className="text-slate-700">{children}</span>
        )}
      </li>
    </>
  );
}

/** The amber note every launch surface of a personal workspace shows. */
export function PersonalNoSecretsNote({ children }: { children?: ReactNode }) {
  return (
    <div role="note" className="rounded-xl bg-amber-50 px-5 py-4 text-sm text-amber-900 ring-1 ring-amber-200">
      <p className="font-semibold">Runs launched from a personal workspace get no secrets.</p>
      <p className="mt-1">
        {children ??
          "Workspace secrets and your own user secrets are delivered only to runs launched from an organization workspace. To run a pipeline that needs secrets, launch it from a workspace of one of your organizations."}
      </p>
    </div>
  );
}
