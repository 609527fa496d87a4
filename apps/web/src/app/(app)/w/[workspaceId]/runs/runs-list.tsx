"use client";

import { useInfiniteQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { can } from "@lockstep/auth/permissions";
import { Alert, EmptyState, PageHeader } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { DataTable } from "~/components/data-table";
import { LoadMore, nextPageAfter, PAGE_SIZE, rowsOf } from "~/components/paging";
import { FALLBACK_POLL_MS, useRunEvents } from "~/components/runs/use-run-events";
import { formatDateTime, plural, runDuration } from "~/components/runs/format";
import { RunStatusBadge, SecretsStateBadge } from "~/components/runs/status-badge";
import { useNow } from "~/components/runs/use-now";
import { WorkspaceFrame, type TWorkspace } from "~/components/runs/workspace-frame";
import { useTRPC } from "~/trpc/react";

export function RunsList({ workspaceId }: { workspaceId: string }) {
  return (
    <WorkspaceFrame workspaceId={workspaceId} section="runs">
      {(w) => <Runs workspace={w} />}
    </WorkspaceFrame>
  );
}

const LAUNCH_LINK =
  "inline-flex items-center justify-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500";

function Runs({ workspace }: { workspace: TWorkspace }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  // Pushed, not polled: Postgres announces each run change and the server streams it here
  // (runs.onChange); the pages loaded so far are read again only when a run changed. A slow poll
  // stands in only while the stream is down.
  const { live } = useRunEvents(
    workspace.id,
    undefined,
    () => void queryClient.invalidateQueries({ queryKey: trpc.runs.list.pathKey() }),
  );
  const runs = useInfiniteQuery(
    trpc.runs.list.infiniteQueryOptions(
      { workspaceId: workspace.id, limit: PAGE_SIZE },
      { getNextPageParam: nextPageAfter(), refetchInterval: live ? false : FALLBACK_POLL_MS },
    ),
  );
  const rows = rowsOf(runs.data);
  const now = useNow(
    1000,
    rows.some((r) => r.startedAt && !r.finishedAt),
  );
  const launches = can(workspace.role, "runs:launch");
  const failedCleanup = rows.filter((r) => r.secretsState === "CLEANUP_FAILED").length;

  return (
    <>
      <PageHeader
        title="Runs"
        description="Pipeline runs launched in this workspace, refreshed live. Each run's secrets exist only while it runs."
        actions={
          launches ? (
            <Link href={`/w/${workspace.id}/launch`} className={LAUNCH_LINK}>
              Launch a run
            </Link>
          ) : null
        }
      />
      {failedCleanup > 0 ? (
        <div
          role="alert"
          className="mb-6 flex gap-3 rounded-xl bg-red-50 px-5 py-4 text-sm text-red-800 ring-1 ring-red-200"
        >
          <svg viewBox="0 0 20 20" aria-hidden="true" className="mt-0.5 h-5 w-5 shrink-0 text-red-500">
            <path
              fill="currentColor"
              d="M8.5 2.9a1.7 1.7 0 0 1 3 0l6.3 11.3A1.7 1.7 0 0 1 16.3 17H3.7a1.7 1.7 0 0 1-1.5-2.8L8.5 2.9ZM10 7a1 1 0 0 0-1 1v3a1 1 0 1 0 2 0V8a1 1 0 0 0-1-1Zm0 8a1 1 0 1 0 0-2 1 1 0 0 0 0 2Z"
            />
          </svg>
          <div>
            <p className="font-semibold">
              The secrets of {plural(failedCleanup, "finished run")} could not be deleted.
            </p>
            <p className="mt-1">
              Copies may remain in the compute environment&apos;s secret store. Open the run
              {failedCleanup === 1 ? "" : "s"} marked “Cleanup failed” below to see the error.
            </p>
          </div>
        </div>
      ) : null}
      {!runs.data ? (
        runs.isError ? (
          <Alert>{errorMessage(runs.error)}</Alert>
        ) : (
          <p className="text-sm text-slate-500">Loading runs…</p>
        )
      ) : rows.length === 0 ? (
        <EmptyState title="No runs yet">
          {launches ? (
            <>
              <Link href={`/w/${workspace.id}/launch`} className="font-medium text-indigo-600 hover:text-indigo-500">
                Launch a pipeline
              </Link>{" "}
              to see it here.
            </>
          ) : (
            "Runs launched in this workspace appear here."
          )}
        </EmptyState>
      ) : (
        <DataTable
          label="Runs"
          columns={["Status", "Pipeline", "Launched by", "Compute environment", "Started", "Duration", "Secrets"]}
        >
          {rows.map((r) => {
            const href = `/w/${workspace.id}/runs/${r.id}`;
            return (
              <tr
                key={r.id}
                data-run-id={r.id}
                onClick={(e) => {
                  // The whole row opens the run; the pipeline link stays the keyboard and middle-click target.
                  if (!(e.target as HTMLElement).closest("a")) router.push(href);
                }}
                className={`cursor-pointer hover:bg-slate-50 ${r.secretsState === "CLEANUP_FAILED" ? "bg-red-50/50" : ""}`}
              >
                <td className="whitespace-nowrap px-5 py-3">
                  <RunStatusBadge status={r.status} />
                </td>
                <td className="px-5 py-3">
                  <Link href={href} className="font-medium text-slate-900 hover:text-indigo-600">
                    {r.pipelineName}
                  </Link>
                  <span className="block font-mono text-xs text-slate-400">{r.id.slice(0, 8)}</span>
                </td>
                <td className="px-5 py-3 text-slate-700">
                  {r.launcher?.name ?? <span className="text-slate-400">deleted user</span>}
                </td>
                <td className="px-5 py-3 text-slate-700">{r.computeEnvName}</td>
                <td className="whitespace-nowrap px-5 py-3 tabular-nums text-slate-600">
                  {r.startedAt ? (
                    <time dateTime={r.startedAt}>{formatDateTime(r.startedAt)}</time>
                  ) : (
                    <span className="text-slate-400" title={`Submitted ${formatDateTime(r.submittedAt)}`}>
                      not started
                    </span>
                  )}
                </td>
                <td className="whitespace-nowrap px-5 py-3 tabular-nums text-slate-600">
                  {r.startedAt ? runDuration(r, now) : "—"}
                </td>
                <td className="whitespace-nowrap px-5 py-3">
                  <SecretsStateBadge state={r.secretsState} />
                </td>
              </tr>
            );
          })}
        </DataTable>
      )}
      {runs.data ? <LoadMore query={runs} label="Load older runs" /> : null}
      {runs.isError && runs.data ? <p className="mt-2 text-xs text-slate-500">Could not refresh; retrying.</p> : null}
    </>
  );
}
