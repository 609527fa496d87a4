"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams } from "next/navigation";
import { useEffect, useRef, useState } from "react";
import { useTRPC } from "~/trpc/react";

/** Switches between the personal space and the organizations the user belongs to. */
export function OrgSwitcher() {
  const trpc = useTRPC();
  const params = useParams<{ orgId?: string; workspaceId?: string }>();
  const orgs = useQuery(trpc.orgs.list.queryOptions());
  // On a workspace page the current organization is the workspace's.
  const workspace = useQuery({
    ...trpc.workspaces.get.queryOptions({ workspaceId: params.workspaceId ?? "" }),
    enabled: Boolean(params.workspaceId),
    retry: false,
  });
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const close = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    document.addEventListener("click", close);
    return () => document.removeEventListener("click", close);
  }, []);
  const currentOrgId = params.orgId ?? workspace.data?.orgId ?? undefined;
  const current = orgs.data?.find((o) => o.id === currentOrgId);
  return (
    <div className="relative min-w-0" ref={ref}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
        title={current?.name}
        className="flex max-w-full items-center gap-2 rounded-md px-2 py-1.5 text-sm font-medium text-slate-700 hover:bg-slate-100"
      >
        <span className="text-slate-400">/</span>
        <span className="min-w-0 truncate">{current?.name ?? "Personal"}</span>
        <svg aria-hidden="true" viewBox="0 0 20 20" className="h-4 w-4 shrink-0 text-slate-400">
          <path
            fill="currentColor"
            d="M5.3 7.3a1 1 0 0 1 1.4 0L10 10.6l3.3-3.3a1 1 0 1 1 1.4 1.4l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 0 1 0-1.4z"
          />
        </svg>
      </button>
      {open ? (
        <div
          role="menu"
          aria-label="Switch organization"
          className="absolute left-0 z-20 mt-1 w-64 rounded-lg bg-white p-1 shadow-lg ring-1 ring-slate-200"
        >
          <Link
            role="menuitem"
            href="/dashboard"
            onClick={() => setOpen(false)}
            className="block rounded-md px-3 py-2 text-sm hover:bg-slate-50"
          >
            Personal
          </Link>
          {orgs.data?.length ? <div className="my-1 border-t border-slate-100" /> : null}
          {orgs.data?.map((org) => (
            <Link
              key={org.id}
              role="menuitem"
              href={`/orgs/${org.id}`}
              onClick={() => setOpen(false)}
              className="flex items-center justify-between rounded-md px-3 py-2 text-sm hover:bg-slate-50"
            >
              <span className="min-w-0 truncate" title={org.name}>
                {org.name}
              </span>
              <span className="text-xs text-slate-400">{org.role}</span>
            </Link>
          ))}
          <div className="my-1 border-t border-slate-100" />
          <Link
            role="menuitem"
            href="/dashboard#new-org"
            onClick={() => setOpen(false)}
            className="block rounded-md px-3 py-2 text-sm text-indigo-600 hover:bg-slate-50"
          >
            + New organization
          </Link>
        </div>
      ) : null}
    </div>
  );
}
