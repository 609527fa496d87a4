"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useId, useState } from "react";
import type { TAppRouter } from "@lockstep/api";
import { Alert, Badge, Button, Select } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { useTRPC } from "~/trpc/react";
import { formatTimestamp, shortUserAgent } from "./format";

type TEvent = inferRouterOutputs<TAppRouter>["audit"]["list"]["items"][number];

/** Actions the filter offers; events with other actions still show, under their raw name. */
export const AUDIT_ACTIONS: Record<string, { label: string; tone: "green" | "amber" | "red" | "indigo" | "slate" }> = {
  "secret.created": { label: "Secret created", tone: "green" },
  "secret.overwritten": { label: "Secret overwritten", tone: "amber" },
  "secret.deleted": { label: "Secret deleted", tone: "red" },
  "secrets.imported": { label: "Secrets imported", tone: "indigo" },
  "secrets.resealed": { label: "Secrets re-sealed", tone: "slate" },
};

const PAGE = 25;

export type TAuditSource = { kind: "workspace"; workspaceId: string } | { kind: "mine" };

/** Audit events, newest first, with an action filter and "Load more". Events never carry values. */
export function AuditEvents({ source, exportHref }: { source: TAuditSource; exportHref?: (action: string) => string }) {
  const trpc = useTRPC();
  const filterId = useId();
  const [action, setAction] = useState("");
  const workspaceId = source.kind === "workspace" ? source.workspaceId : null;
  const next = { getNextPageParam: (last: { nextCursor: number | null }) => last.nextCursor };
  const ws = useInfiniteQuery({
    ...trpc.audit.list.infiniteQueryOptions({ workspaceId: workspaceId ?? "", action: action || undefined, limit: PAGE }, next),
    enabled: workspaceId !== null,
  });
  const mine = useInfiniteQuery({ ...trpc.audit.mine.infiniteQueryOptions({ action: action || undefined, limit: PAGE }, next), enabled: workspaceId === null });
  const events = workspaceId !== null ? ws : mine;
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div>
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <div>
          <label htmlFor={filterId} className="block text-sm font-medium text-slate-900">
            Action
          </label>
          <Select id={filterId} value={action} onChange={(e) => setAction(e.target.value)} className="mt-1.5 h-9 w-56">
            <option value="">All actions</option>
            {Object.entries(AUDIT_ACTIONS).map(([value, { label }]) => (
              <option key={value} value={value}>
                {label}
              </option>
            ))}
          </Select>
        </div>
        {exportHref ? (
          <a
            href={exportHref(action)}
            download
            className="inline-flex items-center gap-2 rounded-md bg-white px-3.5 py-2 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
          >
            <svg aria-hidden="true" viewBox="0 0 20 20" className="h-4 w-4 text-slate-500">
              <path
                fill="currentColor"
                d="M10 3a1 1 0 0 1 1 1v6.6l1.8-1.8a1 1 0 1 1 1.4 1.4l-3.5 3.5a1 1 0 0 1-1.4 0l-3.5-3.5a1 1 0 1 1 1.4-1.4L9 10.6V4a1 1 0 0 1 1-1zM4 14a1 1 0 0 1 1 1v1h10v-1a1 1 0 1 1 2 0v2a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-2a1 1 0 0 1 1-1z"
              />
            </svg>
            Export CSV
          </a>
        ) : null}
      </div>

      {events.isPending ? (
        <p className="text-sm text-slate-500">Loading activity…</p>
      ) : events.isError ? (
        <Alert>{errorMessage(events.error)}</Alert>
      ) : items.length === 0 ? (
        <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
          <p className="text-sm font-semibold text-slate-900">{action ? "No events of this kind" : "No activity yet"}</p>
          <p className="mt-1 text-sm text-slate-500">Creating, overwriting, importing and deleting secrets is recorded here: who, when, from where — never a value.</p>
        </div>
      ) : (
        <>
          <div className="overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
            <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Activity">
              <thead className="bg-slate-50">
                <tr>
                  <Th>Time</Th>
                  <Th>Actor</Th>
                  <Th>Action</Th>
                  <Th>Target</Th>
                  <Th>IP</Th>
                  <Th>Client</Th>
                </tr>
              </thead>
              <tbody className="divide-y divide-slate-100">
                {items.map((e) => (
                  <EventRow key={e.id} event={e} />
                ))}
              </tbody>
            </table>
          </div>
          <div className="mt-3 flex items-center justify-between gap-3 text-sm text-slate-500">
            <span>
              {items.length.toLocaleString("en")} event{items.length === 1 ? "" : "s"} shown{events.hasNextPage ? "" : " — that is all"}
            </span>
            {events.hasNextPage ? (
              <Button variant="secondary" onClick={() => void events.fetchNextPage()} disabled={events.isFetchingNextPage}>
                {events.isFetchingNextPage ? "Loading…" : "Load more"}
              </Button>
            ) : null}
          </div>
        </>
      )}
    </div>
  );
}

function Th({ children }: { children: string }) {
  return (
    <th scope="col" className="px-4 py-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
      {children}
    </th>
  );
}

function EventRow({ event: e }: { event: TEvent }) {
  const known = AUDIT_ACTIONS[e.action];
  const listed = Array.isArray(e.detail.names) ? e.detail.names : Array.isArray(e.detail.secrets) ? e.detail.secrets : null;
  // A launcher's personal secrets: whose and how many, never their names.
  const personal = typeof e.detail.personalSecrets === "number" && e.detail.personalSecrets > 0 ? e.detail.personalSecrets : 0;
  const owner = typeof e.detail.personalSecretsOf === "string" ? e.detail.personalSecretsOf : "the launcher";
  const names = listed || personal ? [...(listed ?? []), ...(personal ? [personal === 1 ? `a personal secret of ${owner}` : `${personal} personal secrets of ${owner}`] : [])] : null;
  const count = (listed?.length ?? 0) + personal;
  return (
    <tr className="align-top">
      <td className="whitespace-nowrap px-4 py-3 text-slate-700">
        <time dateTime={e.at.toISOString()}>{formatTimestamp(e.at)}</time>
      </td>
      <td className="px-4 py-3 text-slate-700">{e.actorEmail ?? <span className="text-slate-400">system</span>}</td>
      <td className="whitespace-nowrap px-4 py-3">
        {known ? <Badge tone={known.tone}>{known.label}</Badge> : <code className="font-mono text-xs text-slate-700">{e.action}</code>}
      </td>
      <td className="px-4 py-3">
        {e.targetName ? <span className="font-mono text-[13px] text-slate-900">{e.targetName}</span> : null}
        {names ? (
          <span className="text-slate-700">
            {count} secret{count === 1 ? "" : "s"}: <span className="font-mono text-[13px]">{names.join(", ")}</span>
          </span>
        ) : null}
        {!e.targetName && !names ? <span className="text-slate-400">—</span> : null}
        {e.detail.via === "import" ? <span className="block text-xs text-slate-500">via import</span> : null}
        {e.runId ? <span className="block font-mono text-xs text-slate-500">run {e.runId.slice(0, 8)}</span> : null}
      </td>
      <td className="whitespace-nowrap px-4 py-3 font-mono text-xs text-slate-600">{e.ip ?? <span className="font-sans text-slate-400">—</span>}</td>
      <td className="whitespace-nowrap px-4 py-3 text-slate-600" title={e.userAgent ?? undefined}>
        {shortUserAgent(e.userAgent)}
      </td>
    </tr>
  );
}
