"use client";

import { useState } from "react";
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { can } from "@lockstep/auth/permissions";
import { Alert, Badge, Button, Dialog, EmptyState, PageHeader } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { formatSeconds, isLive, plural } from "~/components/runs/format";
import { formatDateTime } from "~/components/secrets/format";
import { WorkspaceFrame } from "~/components/runs/workspace-frame";
import { ConfirmDeleteDialog } from "~/components/confirm-delete-dialog";
import { DataTable, RowActions } from "~/components/data-table";
import { LoadMore, nextPageAfter, PAGE_SIZE, rowsOf } from "~/components/paging";
import { PageNotice, usePageDialogs } from "~/components/page-dialogs";
import { useTRPC } from "~/trpc/react";
import { ComputeEnvDialog } from "./compute-env-dialog";
import { KIND_LABELS, sshConfig, type TComputeEnv } from "./kinds";

export function ComputeEnvs({ workspaceId }: { workspaceId: string }) {
  return (
    <WorkspaceFrame workspaceId={workspaceId} section="compute-envs">
      {(w) => <ComputeEnvsPage workspaceId={w.id} manages={can(w.role, "compute-envs:manage")} />}
    </WorkspaceFrame>
  );
}

type TDialog =
  | { kind: "create" }
  | { kind: "edit"; ce: TComputeEnv }
  | { kind: "delete"; ce: TComputeEnv }
  | { kind: "host-key"; ce: TComputeEnv; fingerprint: string };

/** How long the page keeps asking for a check's answer; a worker that is down does not answer at all. */
const CHECK_WAIT_MS = 3 * 60_000;

/** A check was asked for and the worker has not answered it yet. */
function checkPending(ce: TComputeEnv, now = Date.now()): boolean {
  const check = ce.check;
  if (!check?.requestedAt) return false;
  if (check.at && Date.parse(check.at) >= Date.parse(check.requestedAt)) return false;
  return now - Date.parse(check.requestedAt) < CHECK_WAIT_MS;
}

function ComputeEnvsPage({ workspaceId, manages }: { workspaceId: string; manages: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Polls only while a check is waiting for the worker's answer.
  const list = useInfiniteQuery(
    trpc.computeEnvs.list.infiniteQueryOptions(
      { workspaceId, limit: PAGE_SIZE },
      {
        getNextPageParam: nextPageAfter(),
        refetchInterval: (q) => (rowsOf(q.state.data).some((ce) => checkPending(ce)) ? 1500 : false),
      },
    ),
  );
  const rows = rowsOf(list.data);
  const { dialog, notice, open, close, done } = usePageDialogs<TDialog>();
  const check = useMutation(trpc.computeEnvs.check.mutationOptions());
  const [checkError, setCheckError] = useState<string | null>(null);
  const startCheck = (ce: TComputeEnv) => {
    setCheckError(null);
    check.mutate(
      { workspaceId, computeEnvId: ce.id },
      {
        onSuccess: (asked) => {
          // Show "Checking…" at once; the polling list then brings the worker's answer.
          queryClient.setQueryData(trpc.computeEnvs.list.infiniteQueryKey({ workspaceId, limit: PAGE_SIZE }), (data) =>
            data
              ? {
                  ...data,
                  pages: data.pages.map((page) =>
                    page.map((row) => (row.id === asked.id ? { ...asked, cursor: row.cursor } : row)),
                  ),
                }
              : data,
          );
          void queryClient.invalidateQueries({ queryKey: trpc.computeEnvs.list.pathKey() });
        },
        onError: (error) => setCheckError(`Could not check ${ce.name}: ${errorMessage(error)}`),
      },
    );
  };

  return (
    <>
      <PageHeader
        title="Compute environments"
        description="Where Nextflow runs. A run's secrets live in its environment only while it runs."
        actions={manages ? <Button onClick={() => open({ kind: "create" })}>New compute environment</Button> : null}
      />
      <PageNotice notice={notice} />
      {checkError ? (
        <div className="mb-4">
          <Alert>{checkError}</Alert>
        </div>
      ) : null}
      {list.isPending ? (
        <p className="text-sm text-slate-500">Loading compute environments…</p>
      ) : list.isError ? (
        <Alert>{errorMessage(list.error)}</Alert>
      ) : rows.length === 0 ? (
        <EmptyState title="No compute environments yet">
          {manages
            ? "Add one to tell Lockstep where to run pipelines: on this machine (local), on a Slurm cluster, on AWS Batch or on Google Batch."
            : "Owners, admins and maintainers of this workspace add them."}
        </EmptyState>
      ) : (
        <DataTable
          label="Compute environments"
          // Wraps before a cloud summary or a work directory does: those are harder to read broken.
          columns={["Name", "Kind", "Work directory", "Nextflow", { label: "Environment variables", wrap: true }]}
          actions={manages}
        >
          {rows.map((ce) => (
            <tr key={ce.id} className="align-top">
              <td className="whitespace-nowrap px-5 py-3 font-medium text-slate-900">{ce.name}</td>
              <td className="px-5 py-3 text-slate-700">
                <span className="whitespace-nowrap">{KIND_LABELS[ce.kind]}</span>
                <KindSummary ce={ce} />
                {ce.check ? (
                  <div className="mt-2">
                    <ConnectionStatus ce={ce} />
                  </div>
                ) : null}
                {manages && ce.check?.hostKey && !checkPending(ce) ? (
                  <div className="mt-2">
                    <Button
                      variant="secondary"
                      aria-label={`Review host key of ${ce.name}`}
                      onClick={() => open({ kind: "host-key", ce, fingerprint: ce.check!.hostKey! })}
                    >
                      Review host key…
                    </Button>
                  </div>
                ) : null}
              </td>
              <td className="px-5 py-3">
                <code className="break-all font-mono text-xs text-slate-700">{ce.workDir}</code>
              </td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-700">
                <span className="tabular-nums">{ce.nextflowVersion}</span>
                <span className="mt-0.5 block text-xs text-slate-500">
                  runs stop after {formatSeconds(ce.maxRunSeconds)}
                </span>
              </td>
              <td className="px-5 py-3">
                {ce.envNames.length === 0 ? (
                  <span className="text-slate-400">—</span>
                ) : (
                  <ul className="flex flex-wrap gap-1" aria-label={`Environment variables of ${ce.name}`}>
                    {ce.envNames.map((n) => (
                      <li key={n}>
                        <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">{n}</code>
                      </li>
                    ))}
                  </ul>
                )}
              </td>
              {manages ? (
                <RowActions>
                  {ce.check ? (
                    <Button
                      variant="secondary"
                      aria-label={`Check connection ${ce.name}`}
                      disabled={checkPending(ce) || (check.isPending && check.variables.computeEnvId === ce.id)}
                      onClick={() => startCheck(ce)}
                    >
                      Check
                    </Button>
                  ) : null}
                  <Button variant="secondary" aria-label={`Edit ${ce.name}`} onClick={() => open({ kind: "edit", ce })}>
                    Edit
                  </Button>
                  <Button
                    variant="secondary"
                    aria-label={`Delete ${ce.name}`}
                    onClick={() => open({ kind: "delete", ce })}
                  >
                    Delete
                  </Button>
                </RowActions>
              ) : null}
            </tr>
          ))}
        </DataTable>
      )}
      {list.isSuccess ? <LoadMore query={list} label="Load more compute environments" /> : null}
      {!manages && rows.length ? (
        <p className="mt-3 text-sm text-slate-500">Only owners, admins and maintainers change compute environments.</p>
      ) : null}

      {dialog?.kind === "create" ? (
        <ComputeEnvDialog workspaceId={workspaceId} onClose={close} onSaved={(ce) => done(`Created ${ce.name}.`)} />
      ) : dialog?.kind === "edit" ? (
        <ComputeEnvDialog
          workspaceId={workspaceId}
          existing={dialog.ce}
          onClose={close}
          onSaved={(ce) => done(`Saved ${ce.name}.`)}
        />
      ) : dialog?.kind === "delete" ? (
        <DeleteComputeEnvDialog
          workspaceId={workspaceId}
          ce={dialog.ce}
          onClose={close}
          onDeleted={() => done(`Deleted ${dialog.ce.name}.`)}
        />
      ) : dialog?.kind === "host-key" ? (
        <ConfirmHostKeyDialog
          workspaceId={workspaceId}
          ce={dialog.ce}
          fingerprint={dialog.fingerprint}
          onClose={close}
          onConfirmed={(confirmed) => {
            done(`Trusted the host key of ${confirmed.name}. Checking the connection again…`);
            startCheck(confirmed);
          }}
        />
      ) : null}
    </>
  );
}

/**
 * The last "Check connection" of a cloud environment: the worker opens its credentials, lists
 * Lockstep's secrets under its prefix and asks Batch about its queue or location.
 */
function ConnectionStatus({ ce }: { ce: TComputeEnv }) {
  const check = ce.check;
  if (!check) return null;
  if (checkPending(ce)) return <Badge tone="indigo">Checking…</Badge>;
  const answered = check.at && check.requestedAt && check.at >= check.requestedAt;
  if (check.requestedAt && !answered) {
    return <span className="whitespace-nowrap text-xs text-amber-700">No answer from the worker yet</span>;
  }
  if (!check.at) return <span className="whitespace-nowrap text-xs text-slate-400">Not checked</span>;
  const at = (
    <time dateTime={check.at} className="whitespace-nowrap">
      {formatDateTime(check.at)}
    </time>
  );
  // Answered, but neither way (an SSH host key just trusted: the next check logs in).
  if (check.ok === null)
    return <span className="block w-52 break-words text-xs text-slate-500">{check.message ?? "Not checked"}</span>;
  if (check.ok) {
    return (
      <span title={check.message ?? undefined}>
        <Badge tone="green">
          {/* One inline run: the badge is a flex box, which would drop the space before the time. */}
          <span>Reachable · {at}</span>
        </Badge>
      </span>
    );
  }
  // The worker found the cluster away while working on a run (and retries): not a check anyone asked for.
  const duringRun = check.message?.startsWith("While working on a run: ") ?? false;
  return (
    <div className="flex w-52 flex-col gap-2">
      <span>
        <Badge tone="red">
          <span>
            {duringRun ? "Unreachable" : "Check failed"} · {at}
          </span>
        </Badge>
      </span>
      {check.message ? (
        <Alert>
          <span className="break-words text-xs">{check.message}</span>
        </Alert>
      ) : null}
    </div>
  );
}

/** What tells environments of one kind apart, under the kind: Slurm's partition, a cloud's region and queue or project. */
function KindSummary({ ce }: { ce: TComputeEnv }) {
  const summary = kindSummary(ce);
  if (!summary) return null;
  return <span className="mt-0.5 block text-xs leading-5 text-slate-500">{summary}</span>;
}

function kindSummary(ce: TComputeEnv) {
  switch (ce.kind) {
    case "local":
      return null;
    case "slurm": {
      const { partition, sbatchOptions: options } = ce.config;
      return (
        <>
          {partition ? `partition ${partition}` : "default partition"}
          {options.length ? (
            <>
              {" · "}
              <code className="font-mono">{options.join(" ")}</code>
            </>
          ) : null}
        </>
      );
    }
    case "aws-batch": {
      const queue = ce.config.jobQueue;
      // A queue given by ARN is known by its name: the rest repeats the region and account.
      const queueName = /:job-queue\/(.+)$/.exec(queue)?.[1] ?? queue;
      return (
        <>
          <span className="block">{ce.config.region}</span>
          <span className="block" title={queueName === queue ? undefined : queue}>
            queue <code className="whitespace-nowrap font-mono">{queueName}</code>
          </span>
        </>
      );
    }
    case "google-batch":
      return (
        <>
          <span className="block">
            project <code className="whitespace-nowrap font-mono">{ce.config.projectId}</code>
          </span>
          <span className="block">{ce.config.region}</span>
        </>
      );
    case "ssh-slurm":
    case "ssh-lsf":
    case "ssh-pbspro":
    case "ssh-sge": {
      const { queue, hostKeySha256: pinned } = ce.config;
      return (
        <>
          <span className="block">
            <code className="whitespace-nowrap font-mono">
              {ce.config.host}:{ce.config.port}
            </code>
          </span>
          <span className="block">
            {queue ? `${ce.kind === "ssh-slurm" ? "partition" : "queue"} ${queue}` : "default queue"}
          </span>
          <span className="block" title={pinned || undefined}>
            {pinned ? "host key confirmed" : "host key not confirmed"}
          </span>
        </>
      );
    }
  }
}

/**
 * Trusting a login node's host key: the fingerprint the last check saw, for a person to compare
 * with what the cluster's administrators publish. Nothing authenticates there until this is done;
 * a different key afterwards is refused.
 */
function ConfirmHostKeyDialog({
  workspaceId,
  ce,
  fingerprint,
  onClose,
  onConfirmed,
}: {
  workspaceId: string;
  ce: TComputeEnv;
  fingerprint: string;
  onClose: () => void;
  onConfirmed: (ce: TComputeEnv) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const confirm = useMutation(trpc.computeEnvs.confirmHostKey.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const ssh = sshConfig(ce);
  const pinned = ssh?.hostKeySha256;
  return (
    <Dialog
      title={`Host key of ${ce.name}`}
      description="Compare this fingerprint with the one your cluster's administrators publish before you trust it."
      onClose={onClose}
      footer={
        <div className="flex justify-end gap-3">
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button
            disabled={confirm.isPending}
            onClick={() =>
              confirm.mutate(
                { workspaceId, computeEnvId: ce.id, fingerprint },
                {
                  onSuccess: (saved) => {
                    void queryClient
                      .invalidateQueries({ queryKey: trpc.computeEnvs.list.queryKey({ workspaceId }) })
                      .then(
                        () => onConfirmed(saved),
                        (e: unknown) => setError(errorMessage(e)),
                      );
                  },
                  onError: (e) => setError(errorMessage(e)),
                },
              )
            }
          >
            Trust this host key
          </Button>
        </div>
      }
    >
      <div className="space-y-3 text-sm text-slate-700">
        <p>
          The login node{" "}
          <code className="font-mono">
            {ssh?.host}:{ssh?.port ?? 22}
          </code>{" "}
          presented:
        </p>
        <p>
          <code
            aria-label="Host key fingerprint"
            className="block break-all rounded bg-slate-100 px-2 py-1.5 font-mono text-xs text-slate-900"
          >
            {fingerprint}
          </code>
        </p>
        {pinned ? (
          <Alert tone="amber">
            This is not the key trusted until now (<code className="break-all font-mono text-xs">{pinned}</code>). Trust
            it only if the cluster&apos;s administrators replaced the login node&apos;s key; otherwise someone may be
            impersonating it.
          </Alert>
        ) : null}
        <p>
          On the login node, <code className="font-mono">ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub</code>{" "}
          prints it. Until you trust it, Lockstep sends nothing there; afterwards, a login node with any other key is
          refused.
        </p>
        {error ? <Alert>{error}</Alert> : null}
      </div>
    </Dialog>
  );
}

function DeleteComputeEnvDialog({
  workspaceId,
  ce,
  onClose,
  onDeleted,
}: {
  workspaceId: string;
  ce: TComputeEnv;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.computeEnvs.delete.mutationOptions());
  const runs = useQuery(trpc.runs.list.queryOptions({ workspaceId, limit: 200 }));
  // Deleting the environment under a live run would strand its secrets: cleanup needs it to find them.
  const active = runs.data?.filter((r) => r.computeEnvId === ce.id && isLive(r)).length ?? 0;
  return (
    <ConfirmDeleteDialog
      title={`Delete ${ce.name}`}
      confirmLabel="Delete compute environment"
      blocked={runs.isPending || active > 0}
      onClose={onClose}
      onDeleted={onDeleted}
      onConfirm={async () => {
        await remove.mutateAsync({ workspaceId, computeEnvId: ce.id });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.computeEnvs.list.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.pipelines.list.pathKey() }),
        ]);
      }}
    >
      <p>
        Delete <strong className="font-semibold text-slate-900 [overflow-wrap:anywhere]">{ce.name}</strong>? Pipelines
        that use it by default will have no default compute environment; runs launched on it keep their record. Files
        under <code className="break-all font-mono text-xs">{ce.workDir}</code> are not touched.
      </p>
      {active > 0 ? (
        <Alert tone="amber">
          {plural(active, "run")} on this environment {active === 1 ? "is" : "are"} still going or{" "}
          {active === 1 ? "has" : "have"} secrets not yet deleted. Wait until {active === 1 ? "it has" : "they have"}{" "}
          ended and {active === 1 ? "its" : "their"} secrets are gone: deleting the environment now would leave them
          behind.
        </Alert>
      ) : null}
    </ConfirmDeleteDialog>
  );
}
