"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useState, type ReactNode } from "react";
import { can } from "@lockstep/auth/permissions";
import { Alert, Button, Card, Dialog, EmptyState, PathText } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { formatDateTime, isLive, isTerminal, plural, runDuration, runSecretCount } from "~/components/runs/format";
import { RunLog } from "~/components/runs/run-log";
import { RunSecretVersions } from "~/components/runs/secret-versions";
import { RunStatusBadge, SecretsStateBadge } from "~/components/runs/status-badge";
import { RunTimeline, type TRun } from "~/components/runs/timeline";
import { useNow } from "~/components/runs/use-now";
import { Crumb, WorkspaceFrame, type TWorkspace } from "~/components/runs/workspace-frame";
import { FALLBACK_POLL_MS, useRunEvents } from "~/components/runs/use-run-events";
import { useTRPC } from "~/trpc/react";

export function RunView({ workspaceId, runId }: { workspaceId: string; runId: string }) {
  return (
    <WorkspaceFrame
      workspaceId={workspaceId}
      section="runs"
      crumbs={
        <>
          <Crumb href={`/w/${workspaceId}/runs`}>Runs</Crumb>
          <Crumb>
            <span className="font-mono">{runId.slice(0, 8)}</span>
          </Crumb>
        </>
      }
    >
      {(w) => <RunPage workspace={w} runId={runId} />}
    </WorkspaceFrame>
  );
}

function RunPage({ workspace, runId }: { workspace: TWorkspace; runId: string }) {
  const trpc = useTRPC();
  const workspaceId = workspace.id;
  const queryClient = useQueryClient();
  // Pushed: read again when the server says this run changed (runs.onChange); a slow poll only
  // while that stream is down and there is still something to see.
  const { live } = useRunEvents(workspaceId, runId, () => {
    // Refetches in the background; a failed one shows on the queries themselves.
    void queryClient.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ workspaceId, runId }) });
    void queryClient.invalidateQueries({ queryKey: trpc.runs.receipt.queryKey({ workspaceId, runId }) });
  });
  const run = useQuery(
    trpc.runs.get.queryOptions(
      { workspaceId, runId },
      {
        retry: (count, error) => error.data?.code !== "NOT_FOUND" && error.data?.code !== "BAD_REQUEST" && count < 3,
        refetchInterval: (q) => (live || (q.state.data && !isLive(q.state.data)) ? false : FALLBACK_POLL_MS),
      },
    ),
  );
  const me = useQuery(trpc.me.get.queryOptions());

  if (!run.data) {
    if (run.isError) {
      const code = run.error.data?.code;
      if (code === "NOT_FOUND" || code === "BAD_REQUEST") {
        return (
          <EmptyState title="Run not found">
            It does not exist in this workspace.{" "}
            <Link href={`/w/${workspaceId}/runs`} className="font-medium text-indigo-600 hover:text-indigo-500">
              Back to the runs
            </Link>
          </EmptyState>
        );
      }
      return <Alert>{errorMessage(run.error)}</Alert>;
    }
    return <p className="text-sm text-slate-500">Loading run…</p>;
  }

  const r = run.data;
  const own = !!me.data && r.launcher?.id === me.data.id;
  const mayCancel =
    !isTerminal(r.status) &&
    (can(workspace.role, "runs:cancel-any") || (own && can(workspace.role, "runs:cancel-own")));
  return (
    <RunDetails
      workspace={workspace}
      run={r}
      own={own}
      mayCancel={mayCancel}
      refreshError={run.isError ? errorMessage(run.error) : null}
    />
  );
}

function RunDetails({
  workspace,
  run,
  own,
  mayCancel,
  refreshError,
}: {
  workspace: TWorkspace;
  run: TRun;
  own: boolean;
  mayCancel: boolean;
  refreshError: string | null;
}) {
  const live = isLive(run);
  const now = useNow(1000, !run.finishedAt);
  const [confirming, setConfirming] = useState(false);

  return (
    <>
      <div data-testid="run-header" className="mb-8 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <div className="flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{run.pipelineName}</h1>
            <RunStatusBadge status={run.status} />
            {run.cancelRequested && !isTerminal(run.status) ? (
              <span className="text-sm text-amber-700">Cancelling…</span>
            ) : null}
          </div>
          <p className="mt-1 font-mono text-xs text-slate-500">run {run.id}</p>
        </div>
        <div className="flex items-center gap-2">
          {run.pipelineId && can(workspace.role, "runs:launch") ? (
            <Link
              href={`/w/${workspace.id}/launch?from=${run.id}`}
              className="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
            >
              Relaunch
            </Link>
          ) : null}
          {mayCancel ? (
            <Button variant="danger" onClick={() => setConfirming(true)} disabled={run.cancelRequested}>
              {run.cancelRequested ? "Cancelling…" : "Cancel run"}
            </Button>
          ) : null}
        </div>
      </div>

      <dl
        className="mb-8 grid gap-x-6 gap-y-4 rounded-xl bg-white px-6 py-5 shadow-sm ring-1 ring-slate-200 sm:grid-cols-2 lg:grid-cols-4"
        aria-label="Run summary"
      >
        <Fact term="Pipeline">
          {run.pipelineId ? (
            <Link href={`/w/${workspace.id}/pipelines`} className="font-medium text-slate-900 hover:text-indigo-600">
              {run.pipelineName}
            </Link>
          ) : (
            run.pipelineName
          )}
          <span className="mt-0.5 block font-mono text-xs text-slate-500">
            <PathText>{run.repository}</PathText>
            {run.revision ? <PathText>{` @ ${run.revision}`}</PathText> : null}
          </span>
        </Fact>
        <Fact term="Compute environment">
          {run.computeEnvName}
          <span className="mt-0.5 block text-xs text-slate-500">{run.computeEnvKind}</span>
        </Fact>
        <Fact term="Launched by">
          {run.launcher ? (
            <>
              {run.launcher.name}
              {own ? <span className="ml-1 text-xs text-slate-500">(you)</span> : null}
              <span className="mt-0.5 block text-xs text-slate-500">{run.launcher.email}</span>
            </>
          ) : (
            <span className="text-slate-400">a deleted user</span>
          )}
        </Fact>
        <Fact term="Duration">
          <span className="tabular-nums">{run.startedAt ? runDuration(run, now) : "not started"}</span>
          <span className="mt-0.5 block text-xs text-slate-500">submitted {formatDateTime(run.submittedAt)}</span>
        </Fact>
      </dl>

      {refreshError ? (
        <div className="mb-4">
          <Alert tone="amber">Could not refresh the run ({refreshError}); retrying.</Alert>
        </div>
      ) : null}

      <div className="grid items-start gap-6 lg:grid-cols-3">
        <Card className="p-6 lg:col-span-2">
          <div className="mb-5 flex items-center justify-between gap-4">
            <h2 className="text-base font-semibold text-slate-900">Timeline</h2>
            {live ? (
              <span className="inline-flex items-center gap-1.5 text-xs text-slate-500">
                <span aria-hidden="true" className="h-1.5 w-1.5 animate-pulse rounded-full bg-indigo-500" />
                Live
              </span>
            ) : null}
          </div>
          <RunTimeline run={run} />
        </Card>

        <div className="space-y-6">
          <Card className="p-6">
            <h2 className="text-base font-semibold text-slate-900">Progress</h2>
            {run.cloudHead ? (
              // The trace file is written to the cloud work directory, which the worker does not read.
              <p className="mt-3 text-sm text-slate-500">
                Task progress of cloud runs is in the Batch console and the trace file in the work directory.
              </p>
            ) : (
              <Progress progress={run.progress} ended={isTerminal(run.status)} />
            )}
          </Card>
          <Card className="p-6">
            <div className="flex items-center justify-between gap-3">
              <h2 className="text-base font-semibold text-slate-900">Secrets</h2>
              <SecretsStateBadge state={run.secretsState} />
            </div>
            <RunSecrets run={run} own={own} personal={workspace.personal} />
          </Card>
          <Card className="p-6">
            <h2 className="text-base font-semibold text-slate-900">Params</h2>
            <Params params={run.params} />
          </Card>
        </div>
      </div>

      <Card className="mt-6 p-6">
        {run.cloudHead ? (
          <CloudLog kind={run.computeEnvKind} head={run.cloudHead} />
        ) : (
          <RunLog workspaceId={workspace.id} runId={run.id} live={live} />
        )}
      </Card>

      {run.secretsState !== "NONE" ? (
        <DeletionReceipt key={run.secretsState} workspaceId={workspace.id} runId={run.id} />
      ) : null}
      {run.provisionedAt ? <RunSecretVersions workspaceId={workspace.id} runId={run.id} /> : null}

      {confirming ? <CancelDialog workspaceId={workspace.id} run={run} onClose={() => setConfirming(false)} /> : null}
    </>
  );
}

function Fact({ term, children }: { term: string; children: ReactNode }) {
  return (
    <div className="min-w-0">
      <dt className="text-xs font-semibold uppercase tracking-wide text-slate-500">{term}</dt>
      <dd className="mt-1 text-sm text-slate-900">{children}</dd>
    </div>
  );
}

function Progress({ progress, ended }: { progress: TRun["progress"]; ended: boolean }) {
  const tasks = progress.tasks ?? 0;
  const succeeded = progress.succeeded ?? 0;
  const failed = progress.failed ?? 0;
  const running = progress.running ?? 0;
  if (tasks === 0 && running === 0) {
    // Nextflow's trace records a task when it finishes, so a long first task shows nothing until then.
    return <p className="mt-3 text-sm text-slate-500">{ended ? "No task finished." : "No task has finished yet."}</p>;
  }
  const pct = (n: number) => (tasks > 0 ? `${(100 * n) / tasks}%` : "0%");
  return (
    <div className="mt-4">
      <div className="flex h-2 overflow-hidden rounded-full bg-slate-100" aria-hidden="true">
        <div className="bg-green-500" style={{ width: pct(succeeded) }} />
        <div className="bg-red-500" style={{ width: pct(failed) }} />
        <div className="animate-pulse bg-indigo-400" style={{ width: pct(running) }} />
      </div>
      <dl className="mt-4 grid grid-cols-4 gap-2 text-center" aria-label="Task counts">
        <Count term="Tasks" value={tasks} />
        <Count term="Succeeded" value={succeeded} tone="text-green-700" />
        <Count term="Running" value={running} tone="text-indigo-700" />
        <Count term="Failed" value={failed} tone={failed > 0 ? "text-red-700" : undefined} />
      </dl>
    </div>
  );
}

function Count({ term, value, tone }: { term: string; value: number; tone?: string }) {
  return (
    <div className="flex flex-col-reverse">
      <dt className="text-xs text-slate-500">{term}</dt>
      <dd className={`text-lg font-semibold tabular-nums ${tone ?? "text-slate-900"}`}>{value}</dd>
    </div>
  );
}

function RunSecrets({ run, own, personal }: { run: TRun; own: boolean; personal: boolean }) {
  if (runSecretCount(run) === 0) {
    return (
      <p className="mt-3 text-sm text-slate-500">
        {personal
          ? "None: runs launched from a personal workspace get no secrets."
          : "None: this run was launched without secrets."}
      </p>
    );
  }
  const launcherName = run.launcher?.name || "the launcher";
  // The launcher's personal secrets are named to the launcher only; others read whose and how many.
  const hidden = own ? 0 : run.personalSecretCount;
  return (
    <>
      <ul className="mt-3 divide-y divide-slate-100" aria-label="Secrets the run received">
        {run.secretNames.map((s) => (
          <li key={`${s.source}:${s.name}`} className="flex items-baseline justify-between gap-3 py-2 text-sm">
            <code className="font-mono text-xs font-medium text-slate-900">{s.name}</code>
            <span className={s.source === "user" ? "text-indigo-700" : "text-slate-500"}>
              {s.source === "workspace" ? "workspace" : "your secret"}
            </span>
          </li>
        ))}
        {hidden > 0 ? (
          <li className="flex items-baseline justify-between gap-3 py-2 text-sm">
            <span className="text-slate-700">
              {hidden === 1 ? `a personal secret of ${launcherName}` : `${hidden} personal secrets of ${launcherName}`}
            </span>
            <span className="text-indigo-700" title="Only its owner sees a personal secret's name.">
              name private
            </span>
          </li>
        ) : null}
      </ul>
      <p className="mt-2 text-xs text-slate-500">Names only; values are never shown.</p>
      <Redaction redaction={run.redaction} />
    </>
  );
}

/** What the end-of-run pass overwrote in the run's log files (counts only). */
function Redaction({ redaction }: { redaction: TRun["redaction"] }) {
  if (!redaction) return null;
  const { occurrences, files, scannedFiles } = redaction;
  return (
    <p
      data-testid="run-redaction"
      className="mt-3 border-t border-slate-100 pt-3 text-xs text-slate-600"
      title={`Checked ${formatDateTime(new Date(redaction.at))}`}
    >
      {occurrences === 0
        ? `No secret value found in the run's ${plural(scannedFiles, "log file")}.`
        : `${plural(occurrences, "occurrence")} in ${plural(files, "file")} redacted (of ${plural(scannedFiles, "log file")} scanned).`}
    </p>
  );
}

function Params({ params }: { params: TRun["params"] }) {
  const entries = Object.entries(params);
  if (entries.length === 0) return <p className="mt-3 text-sm text-slate-500">None.</p>;
  return (
    <dl className="mt-3 space-y-1.5 font-mono text-xs" aria-label="Params of the run">
      {entries.map(([k, v]) => (
        <div key={k} className="flex gap-2">
          <dt className="shrink-0 text-slate-500">{k}</dt>
          <dd className="min-w-0 break-all text-slate-900">{String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}

function CancelDialog({ workspaceId, run, onClose }: { workspaceId: string; run: TRun; onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const cancel = useMutation(trpc.runs.cancel.mutationOptions());
  const [error, setError] = useState<string | null>(null);

  async function onConfirm() {
    setError(null);
    try {
      await cancel.mutateAsync({ workspaceId, runId: run.id });
      await queryClient.invalidateQueries({ queryKey: trpc.runs.get.queryKey({ workspaceId, runId: run.id }) });
      onClose();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <Dialog
      title="Cancel this run?"
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} data-autofocus>
            Keep running
          </Button>
          <Button variant="danger" onClick={() => void onConfirm()} disabled={cancel.isPending}>
            {cancel.isPending ? "Cancelling…" : "Cancel run"}
          </Button>
        </>
      }
    >
      <div className="space-y-3 text-sm text-slate-700">
        <p>
          Nextflow is stopped and its running tasks are killed; the run ends as{" "}
          <strong className="font-semibold">Cancelled</strong>.
          {runSecretCount(run) > 0
            ? " Its secrets are deleted from the compute environment once it has stopped."
            : null}
        </p>
        {error ? <Alert>{error}</Alert> : null}
      </div>
    </Dialog>
  );
}

/**
 * A cloud run's head writes its console to the cloud's logging service, which Lockstep does not
 * read (the worker would need log-read permissions on top of least privilege): say where to look.
 */
function CloudLog({ kind, head }: { kind: string; head: { job: string; workDir: string } }) {
  const aws = kind === "aws-batch";
  return (
    <div>
      <h2 className="text-base font-semibold text-slate-900">Log</h2>
      <p className="mt-2 text-sm text-slate-600">
        The Nextflow head runs as {aws ? "an AWS Batch" : "a Google Batch"} job; its console goes to{" "}
        {aws ? "CloudWatch Logs (log group /aws/batch/job)" : "Cloud Logging"}. Lockstep masks nothing there, so
        pipelines must not print secret values.
      </p>
      <dl className="mt-4 grid gap-3 text-sm sm:grid-cols-2">
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">
            {aws ? "Batch job id" : "Batch job"}
          </dt>
          <dd className="mt-1 break-all font-mono text-slate-900">{head.job}</dd>
        </div>
        <div>
          <dt className="text-xs font-medium uppercase tracking-wide text-slate-500">Work directory</dt>
          <dd className="mt-1 break-all font-mono text-slate-900">{head.workDir}</dd>
        </div>
      </dl>
    </div>
  );
}

/** One record of every copy written for the run and how its deletion was verified; exportable as JSON. */
function DeletionReceipt({ workspaceId, runId }: { workspaceId: string; runId: string }) {
  const trpc = useTRPC();
  const receipt = useQuery(trpc.runs.receipt.queryOptions({ workspaceId, runId }));
  function exportJson() {
    if (!receipt.data) return;
    const url = URL.createObjectURL(new Blob([JSON.stringify(receipt.data, null, 2)], { type: "application/json" }));
    const a = document.createElement("a");
    a.href = url;
    a.download = `lockstep-receipt-${runId}.json`;
    a.click();
    URL.revokeObjectURL(url);
  }
  return (
    <Card className="mt-6 p-6">
      <div className="flex items-center justify-between gap-3">
        <h2 className="text-base font-semibold text-slate-900">Deletion receipt</h2>
        <div className="flex items-center gap-2">
          <a
            href={`/api/runs/receipt?workspaceId=${encodeURIComponent(workspaceId)}&runId=${encodeURIComponent(runId)}`}
            download
            className="rounded-md bg-white px-3 py-2 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
          >
            Export CSV
          </a>
          <Button variant="secondary" onClick={exportJson} disabled={!receipt.data}>
            Export JSON
          </Button>
        </div>
      </div>
      {receipt.isPending ? (
        <p className="mt-3 text-sm text-slate-500">Loading…</p>
      ) : receipt.isError ? (
        <Alert>{errorMessage(receipt.error)}</Alert>
      ) : (
        <div className="mt-3 space-y-3 text-sm text-slate-600" data-testid="deletion-receipt">
          <p>
            {receipt.data.deletion.verified ? (
              <>
                Every copy verified gone{" "}
                {receipt.data.deletion.at ? formatDateTime(new Date(receipt.data.deletion.at)) : ""} by listing the
                store after deleting ({plural(receipt.data.deletion.attempts, "attempt")}).
              </>
            ) : (
              <>Not verified gone yet{receipt.data.deletion.lastError ? `: ${receipt.data.deletion.lastError}` : "."}</>
            )}{" "}
            Provider: <code className="font-mono text-xs">{receipt.data.provider ?? "not recorded"}</code>.
          </p>
          {receipt.data.copies.length === 0 ? (
            <p>No copy recorded (the run was provisioned before copies were recorded, or has not been provisioned).</p>
          ) : (
            <div className="overflow-x-auto rounded-lg ring-1 ring-slate-200">
              <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Copies written for the run">
                <thead className="bg-slate-50">
                  <tr>
                    <th
                      scope="col"
                      className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                    >
                      Location
                    </th>
                    <th
                      scope="col"
                      className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                    >
                      Written
                    </th>
                    <th
                      scope="col"
                      className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                    >
                      Verified gone
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100 bg-white">
                  {receipt.data.copies.map((c) => (
                    <tr key={c.location}>
                      <td className="px-3 py-2 align-top">
                        <code className="break-all font-mono text-xs text-slate-900">{c.location}</code>
                      </td>
                      <td className="px-3 py-2 align-top">{formatDateTime(new Date(c.writtenAt))}</td>
                      <td className="px-3 py-2 align-top">
                        {c.goneAt ? `${formatDateTime(new Date(c.goneAt))} (${c.verifiedBy})` : "not yet"}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {receipt.data.sidecars ? <p className="text-xs text-slate-500">Sidecars: {receipt.data.sidecars}.</p> : null}
        </div>
      )}
    </Card>
  );
}
