"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { can } from "@lockstep/auth/permissions";
import { Badge } from "@lockstep/ui";
import { TabLink, WorkspaceGate, type TWorkspace } from "~/components/workspace-gate";

export type { TWorkspace };

/** Every section of a workspace, in tab order. */
export type TWorkspaceSection =
  | "overview"
  | "runs"
  | "launch"
  | "pipelines"
  | "compute-envs"
  | "secrets"
  | "credentials"
  | "participants"
  | "activity"
  | "settings";

/** @deprecated kept for the run pages' imports; every section now shares one frame. */
export type TRunsSection = TWorkspaceSection;

/** Sections shown as tabs of the overview page itself (`/w/<id>?tab=…`); the rest are pages of their own. */
const TAB_SECTIONS: ReadonlySet<TWorkspaceSection> = new Set([
  "overview",
  "secrets",
  "participants",
  "activity",
  "settings",
]);

/** The sections `w`'s caller may see, with where each lives. */
export function workspaceSections(w: TWorkspace): { id: TWorkspaceSection; label: string; href: string }[] {
  const base = `/w/${w.id}`;
  const all: { id: TWorkspaceSection; label: string; href: string; visible: boolean }[] = [
    { id: "overview", label: "Overview", href: base, visible: true },
    { id: "runs", label: "Runs", href: `${base}/runs`, visible: true },
    { id: "launch", label: "Launch", href: `${base}/launch`, visible: can(w.role, "runs:launch") },
    { id: "pipelines", label: "Pipelines", href: `${base}/pipelines`, visible: true },
    { id: "compute-envs", label: "Compute environments", href: `${base}/compute-envs`, visible: true },
    { id: "secrets", label: "Secrets", href: `${base}?tab=secrets`, visible: true },
    { id: "credentials", label: "Credentials", href: `${base}/credentials`, visible: true },
    { id: "participants", label: "Participants", href: `${base}?tab=participants`, visible: !w.personal },
    { id: "activity", label: "Activity", href: `${base}?tab=activity`, visible: can(w.role, "audit:read") },
    { id: "settings", label: "Settings", href: `${base}?tab=settings`, visible: can(w.role, "workspace:settings") },
  ];
  return all.filter((s) => s.visible).map(({ id, label, href }) => ({ id, label, href }));
}

/**
 * The one frame of every workspace page: where you are (organization / workspace, your role), one
 * tab bar with every section your role may see, and the page itself once the workspace (and so the
 * caller's role) is known.
 */
export function WorkspaceFrame({
  workspaceId,
  section,
  crumbs,
  children,
}: {
  workspaceId: string;
  section: TWorkspaceSection;
  /** Extra breadcrumb after the workspace (e.g. the runs list and the run on a run page). */
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
  section: TWorkspaceSection;
  crumbs?: ReactNode;
  children: ReactNode;
}) {
  const base = `/w/${w.id}`;
  const sections = workspaceSections(w);
  // Pages of their own carry their own <h1>; on the overview's tabs the workspace name is the page's heading.
  const Title = TAB_SECTIONS.has(section) ? "h1" : "p";

  return (
    <>
      <div className="mb-6 min-w-0">
        <nav aria-label="Breadcrumb" className="text-sm text-slate-500">
          <ol className="flex min-w-0 flex-wrap items-center gap-1.5">
            <li className="min-w-0 max-w-full truncate" title={w.orgId ? (w.orgName ?? undefined) : undefined}>
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
            <li className="text-slate-500">{w.personal ? "personal workspace" : `${w.visibility} workspace`}</li>
            {crumbs}
          </ol>
        </nav>
        <div className="mt-1 flex min-w-0 items-center gap-3">
          <Title
            title={w.name}
            className={`min-w-0 truncate font-semibold tracking-tight text-slate-900 ${Title === "h1" ? "text-2xl" : "text-lg"}`}
          >
            {Title === "h1" ? (
              w.name
            ) : (
              <Link href={base} className="hover:text-indigo-600">
                {w.name}
              </Link>
            )}
          </Title>
          <Badge tone="indigo">
            <span className="sr-only">Your role: </span>
            {w.role}
          </Badge>
        </div>
      </div>
      <nav aria-label="Workspace sections" className="relative mb-8 overflow-x-auto border-b border-slate-200">
        <ul className="-mb-px flex gap-x-6 whitespace-nowrap">
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
