"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { can } from "@lockstep/auth/permissions";
import { TabLink, WorkspaceGate, type TWorkspace } from "~/components/workspace-gate";

export type { TWorkspace };

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
  return (
    <WorkspaceGate workspaceId={workspaceId}>
      {(w) => (
        <Frame w={w} section={section} crumbs={crumbs}>
          {children(w)}
        </Frame>
      )}
    </WorkspaceGate>
  );
}

function Frame({
  w,
  section,
  crumbs,
  children,
}: {
  w: TWorkspace;
  section: TRunsSection;
  crumbs?: ReactNode;
  children: ReactNode;
}) {
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
              <TabLink href={s.href} current={section === s.id}>
                {s.label}
              </TabLink>
            </li>
          ))}
        </ul>
      </nav>
      {children}
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
