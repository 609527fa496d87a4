"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useId, useState } from "react";
import type { TAppRouter } from "@lockstep/api";
import { Alert, Badge, Button, Select } from "@lockstep/ui";
import { auditActionLabel, auditActions, auditFilterGroups, isAuditAction } from "@lockstep/validators";
import { errorMessage } from "~/components/errors";
import { useTRPC } from "~/trpc/react";
import { formatTimestamp, shortUserAgent } from "./format";

type TEvent = inferRouterOutputs<TAppRouter>["audit"]["list"]["items"][number];

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
    ...trpc.audit.list.infiniteQueryOptions(
      { workspaceId: workspaceId ?? "", action: action || undefined, limit: PAGE },
      next,
    ),
    enabled: workspaceId !== null,
  });
  const mine = useInfiniteQuery({
    ...trpc.audit.mine.infiniteQueryOptions({ action: action || undefined, limit: PAGE }, next),
    enabled: workspaceId === null,
  });
  const events = workspaceId !== null ? ws : mine;
  const items = events.data?.pages.flatMap((p) => p.items) ?? [];

  return (
    <div>
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <div>
          <label htmlFor={filterId} className="block text-sm font-medium text-slate-900">
            Action
          </label>
          <Select
            id={filterId}
            value={action}
            onChange={(e) => setAction(e.target.value)}
            className="mt-1.5 h-9 w-72 max-w-full"
          >
            <option value="">All actions</option>
            {auditFilterGroups(source.kind).map((g) => (
              <optgroup key={g.group} label={g.label}>
                {g.actions.map((a) => (
                  <option key={a.value} value={a.value}>
                    {a.label}
                  </option>
                ))}
              </optgroup>
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
          <p className="text-sm font-semibold text-slate-900">
            {action ? "No events of this kind" : "No activity yet"}
          </p>
          <p className="mt-1 text-sm text-slate-500">
            {source.kind === "mine"
              ? "Creating, overwriting, importing and deleting your secrets is recorded here: who, when, from where — never a value."
              : "Changes to secrets, runs, participants and settings are recorded here: who, when, from where — never a value."}
          </p>
        </div>
      ) : (
        <>
          <div className="relative overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
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
              {items.length.toLocaleString("en")} event{items.length === 1 ? "" : "s"} shown
              {events.hasNextPage ? "" : " — that is all"}
            </span>
            {events.hasNextPage ? (
              <Button
                variant="secondary"
                onClick={() => void events.fetchNextPage()}
                disabled={events.isFetchingNextPage}
              >
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
  const known = isAuditAction(e.action) ? auditActions[e.action] : null;
  const listed = Array.isArray(e.detail.names)
    ? e.detail.names
    : Array.isArray(e.detail.secrets)
      ? e.detail.secrets
      : null;
  // A launcher's personal secrets: whose and how many, never their names.
  const personal =
    typeof e.detail.personalSecrets === "number" && e.detail.personalSecrets > 0 ? e.detail.personalSecrets : 0;
  const owner = typeof e.detail.personalSecretsOf === "string" ? e.detail.personalSecretsOf : "the launcher";
  const names =
    listed || personal
      ? [
          ...(listed ?? []),
          ...(personal
            ? [personal === 1 ? `a personal secret of ${owner}` : `${personal} personal secrets of ${owner}`]
            : []),
        ]
      : null;
  const count = (listed?.length ?? 0) + personal;
  const notes = detailNotes(e.detail);
  return (
    <tr className="align-top">
      <td className="whitespace-nowrap px-4 py-3 text-slate-700">
        <time dateTime={e.at}>{formatTimestamp(e.at)}</time>
      </td>
      <td className="max-w-[16rem] truncate px-4 py-3 text-slate-700" title={e.actorEmail ?? undefined}>
        {e.actorEmail ?? <span className="text-slate-400">system</span>}
      </td>
      <td className="whitespace-nowrap px-4 py-3">
        <Badge tone={known?.tone ?? "slate"}>{auditActionLabel(e.action)}</Badge>
      </td>
      <td className="max-w-md space-y-0.5 px-4 py-3">
        {e.targetName ? (
          <span className="block break-words font-mono text-[13px] text-slate-900">{e.targetName}</span>
        ) : null}
        {names ? (
          <span className="block break-words text-slate-700">
            {count} secret{count === 1 ? "" : "s"}: <span className="font-mono text-[13px]">{names.join(", ")}</span>
          </span>
        ) : null}
        {notes.map((n) => (
          <span key={n} className="block text-xs text-slate-500">
            {n}
          </span>
        ))}
        {!e.targetName && !names && notes.length === 0 && !e.runId ? <span className="text-slate-400">—</span> : null}
        {e.runId ? <span className="block font-mono text-xs text-slate-500">run {e.runId.slice(0, 8)}</span> : null}
      </td>
      <td className="whitespace-nowrap px-4 py-3 font-mono text-xs text-slate-600">
        {e.ip ?? <span className="font-sans text-slate-400">—</span>}
      </td>
      <td className="whitespace-nowrap px-4 py-3 text-slate-600" title={e.userAgent ?? undefined}>
        {shortUserAgent(e.userAgent)}
      </td>
    </tr>
  );
}

/** The parts of an event's detail a person reads, each on its own line (never run together). */
function detailNotes(detail: TEvent["detail"]): string[] {
  const notes: string[] = [];
  if (detail.via === "import") notes.push("via import");
  if (typeof detail.from === "string" && typeof detail.to === "string")
    notes.push(`role ${detail.from} → ${detail.to}`);
  else if (typeof detail.role === "string") notes.push(`role ${detail.role}`);
  if (Array.isArray(detail.changed) && detail.changed.length > 0) notes.push(`changed: ${detail.changed.join(", ")}`);
  if (typeof detail.status === "string") notes.push(`status ${detail.status.toLowerCase()}`);
  return notes;
}
