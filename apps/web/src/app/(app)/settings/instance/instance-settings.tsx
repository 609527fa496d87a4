"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useDeferredValue, useState, type FormEvent } from "react";
import { Alert, Badge, Button, Card, EmptyState, PageHeader, RadioCard } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { DataTable } from "~/components/data-table";
import { useTRPC } from "~/trpc/react";

type THostPolicy = "instance-admins" | "workspace-maintainers";

const POLICIES: Array<{ value: THostPolicy; title: string; description: string }> = [
  {
    value: "instance-admins",
    title: "Instance admins only (recommended)",
    description: "Only instance admins create and edit local and host Slurm environments. Workspace maintainers still use them and manage cloud ones.",
  },
  {
    value: "workspace-maintainers",
    title: "Workspace maintainers",
    description: "Maintainers, admins and owners of any workspace create and edit them too. Choose this only if everyone who can sign up is trusted.",
  },
];

const POLICY_LABELS: Record<string, string> = { "instance-admins": "instance admins only", "workspace-maintainers": "workspace maintainers" };

const PAGE_SIZE = 20;
const formatDate = (date: Date) => date.toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });
const formatDateTime = (date: Date) => date.toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });

export function InstanceSettings({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const instance = useQuery(trpc.instance.get.queryOptions(undefined, { retry: false }));

  if (instance.isPending) return <p className="text-sm text-slate-500">Loading instance settings…</p>;
  if (instance.isError) return <Alert>{errorMessage(instance.error)}</Alert>;

  return (
    <>
      <PageHeader title="Instance settings" description="Settings for everyone on this Lockstep instance. Only instance admins see this page." />
      <div className="space-y-8">
        <HostComputeEnvsCard
          current={instance.data.hostComputeEnvs}
          updatedAt={instance.data.updatedAt}
          updatedBy={instance.data.updatedBy?.name ?? instance.data.updatedBy?.email ?? null}
        />
        <PipelineRootsCard roots={instance.data.localPipelineRoots} />
        <Users currentUserId={currentUserId} />
        <RecentChanges changes={instance.data.recentChanges} />
      </div>
    </>
  );
}

function HostComputeEnvsCard({ current, updatedAt, updatedBy }: { current: THostPolicy; updatedAt: Date | null; updatedBy: string | null }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.instance.update.mutationOptions());
  const [choice, setChoice] = useState<THostPolicy>(current);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setError(null);
    setSaved(false);
    try {
      const next = await update.mutateAsync({ hostComputeEnvs: choice });
      queryClient.setQueryData(trpc.instance.get.queryKey(), next);
      setSaved(true);
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <Card>
      <h2 id="host-envs-heading" className="text-base font-semibold text-slate-900">
        Local and host Slurm compute environments
      </h2>
      <p className="mt-1 max-w-3xl text-sm text-slate-500">
        Their runs execute pipeline code on the machines that run Lockstep (for host Slurm, the worker is the submit host). Whoever can create one
        decides what runs there.
      </p>
      <form className="mt-5 space-y-4" onSubmit={(e) => void onSubmit(e)} aria-labelledby="host-envs-heading">
        <fieldset>
          <legend className="block text-sm font-medium text-slate-900">Who may create and edit them</legend>
          <div className="mt-1.5 grid gap-3 md:grid-cols-2">
            {POLICIES.map((p) => (
              <RadioCard
                key={p.value}
                id={`host-envs-${p.value}`}
                name="hostComputeEnvs"
                value={p.value}
                checked={choice === p.value}
                onChange={() => {
                  setChoice(p.value);
                  setSaved(false);
                }}
                title={p.title}
              >
                {p.description}
              </RadioCard>
            ))}
          </div>
        </fieldset>
        <p className="text-sm text-slate-500">
          Either way, deleting one stays a maintainer&apos;s action, and runs on them can be launched from a personal workspace by instance admins only.
        </p>
        {error ? <Alert>{error}</Alert> : null}
        {saved ? <Alert tone="green">Saved.</Alert> : null}
        <div className="flex flex-wrap items-center gap-4">
          <Button type="submit" disabled={update.isPending || choice === current}>
            {update.isPending ? "Saving…" : "Save"}
          </Button>
          <p className="text-sm text-slate-500">
            {updatedAt ? `Last changed ${formatDateTime(updatedAt)}${updatedBy ? ` by ${updatedBy}` : ""}.` : "Never changed: the default applies."}
          </p>
        </div>
      </form>
    </Card>
  );
}

function PipelineRootsCard({ roots }: { roots: string[] }) {
  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">Local pipelines</h2>
      <p className="mt-1 max-w-3xl text-sm text-slate-500">
        A pipeline given as a path must be a directory holding <code className="font-mono text-xs text-slate-700">main.nf</code> inside one of
        these directories (checked when it is saved and again at launch). They are set by{" "}
        <code className="font-mono text-xs text-slate-700">LOCKSTEP_LOCAL_PIPELINE_ROOTS</code> on the web app and the worker: change it there and
        restart both.
      </p>
      <div className="mt-4">
        {roots.length === 0 ? (
          <Alert tone="amber">Local pipeline paths are turned off: only https:// repositories can be registered.</Alert>
        ) : (
          <ul aria-label="Allowed pipeline directories" className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200">
            {roots.map((root) => (
              <li key={root} className="px-4 py-2.5 font-mono text-sm text-slate-800">
                {root}
              </li>
            ))}
          </ul>
        )}
      </div>
    </Card>
  );
}

function Users({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState("");
  const deferredSearch = useDeferredValue(search.trim());
  const users = useQuery(
    trpc.instance.users.list.queryOptions({ page, pageSize: PAGE_SIZE, search: deferredSearch || undefined }, { placeholderData: keepPreviousData }),
  );
  const setAdmin = useMutation(trpc.instance.users.setAdmin.mutationOptions());
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function change(userId: string, isInstanceAdmin: boolean) {
    setError(null);
    try {
      await setAdmin.mutateAsync({ userId, isInstanceAdmin });
      await queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() });
      // Revoking your own: this page is no longer yours.
      if (userId === currentUserId && !isInstanceAdmin) window.location.assign("/dashboard");
    } catch (e) {
      setError(errorMessage(e));
    }
    setConfirming(null);
  }

  const data = users.data;
  const first = data ? (data.page - 1) * data.pageSize + 1 : 0;
  const last = data ? Math.min(data.page * data.pageSize, data.total) : 0;

  return (
    <section aria-labelledby="users-heading">
      <div className="mb-3 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h2 id="users-heading" className="text-base font-semibold text-slate-900">
            Users
          </h2>
          <p className="mt-1 text-sm text-slate-500">Every account on this instance. Instance admins can open this page; being one gives no role in any workspace.</p>
        </div>
        <div>
          <label htmlFor="users-search" className="sr-only">
            Search users by email or name
          </label>
          <input
            id="users-search"
            type="search"
            value={search}
            onChange={(e) => {
              setSearch(e.target.value);
              setPage(1);
            }}
            placeholder="Search by email or name"
            autoComplete="off"
            className="block w-64 rounded-md border-0 px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600"
          />
        </div>
      </div>
      {error ? (
        <div className="mb-3">
          <Alert>{error}</Alert>
        </div>
      ) : null}
      {users.isPending ? (
        <p className="text-sm text-slate-500">Loading users…</p>
      ) : users.isError ? (
        <Alert>{errorMessage(users.error)}</Alert>
      ) : data!.items.length === 0 ? (
        <EmptyState title="No users match">Try another part of their email or name.</EmptyState>
      ) : (
        <>
          <DataTable label="Users" columns={["Name", "Email", "Created", "Instance role"]} actions>
            {data!.items.map((u) => {
              const you = u.id === currentUserId;
              const lastAdmin = u.isInstanceAdmin && data!.admins <= 1;
              return (
                <tr key={u.id}>
                  <td className="px-5 py-3 font-medium text-slate-900">
                    {u.name}
                    {you ? <span className="ml-2 text-xs font-normal text-slate-500">(you)</span> : null}
                  </td>
                  <td className="px-5 py-3 text-slate-600">{u.email}</td>
                  <td className="whitespace-nowrap px-5 py-3 text-slate-600">{formatDate(u.createdAt)}</td>
                  <td className="whitespace-nowrap px-5 py-3">{u.isInstanceAdmin ? <Badge tone="indigo">Instance admin</Badge> : <span className="text-slate-500">User</span>}</td>
                  <td className="whitespace-nowrap px-5 py-3 text-right">
                    {confirming === u.id ? (
                      <span className="inline-flex items-center gap-2">
                        <span className="text-slate-600">{you ? "Revoke your own admin? You lose this page." : `Revoke ${u.name}'s admin?`}</span>
                        <Button variant="danger" disabled={setAdmin.isPending} onClick={() => void change(u.id, false)}>
                          Confirm revoke
                        </Button>
                        <Button variant="secondary" onClick={() => setConfirming(null)}>
                          Cancel
                        </Button>
                      </span>
                    ) : u.isInstanceAdmin ? (
                      <Button
                        variant="secondary"
                        aria-label={`Revoke instance admin from ${u.email}`}
                        title={lastAdmin ? "The instance's only admin: make someone else an admin first." : undefined}
                        disabled={lastAdmin}
                        onClick={() => setConfirming(u.id)}
                      >
                        Revoke admin
                      </Button>
                    ) : (
                      <Button variant="secondary" aria-label={`Make ${u.email} an instance admin`} disabled={setAdmin.isPending} onClick={() => void change(u.id, true)}>
                        Make admin
                      </Button>
                    )}
                  </td>
                </tr>
              );
            })}
          </DataTable>
          <nav aria-label="Users pages" className="mt-3 flex items-center justify-between text-sm text-slate-600">
            <p>
              {first}–{last} of {data!.total} {data!.total === 1 ? "user" : "users"}
              {data!.admins === 1 ? " · 1 instance admin" : ` · ${data!.admins} instance admins`}
            </p>
            <div className="flex gap-2">
              <Button variant="secondary" disabled={page <= 1} onClick={() => setPage((p) => p - 1)}>
                Previous
              </Button>
              <Button variant="secondary" disabled={last >= data!.total} onClick={() => setPage((p) => p + 1)}>
                Next
              </Button>
            </div>
          </nav>
        </>
      )}
    </section>
  );
}

type TChange = { id: string; at: Date; action: string; actorEmail: string | null; ip: string | null; targetName: string | null; detail: Record<string, unknown> };

function describeChange(c: TChange): string {
  switch (c.action) {
    case "instance.settings_updated":
      return `Local and host Slurm environments: ${POLICY_LABELS[String(c.detail.from)] ?? String(c.detail.from)} → ${POLICY_LABELS[String(c.detail.to)] ?? String(c.detail.to)}`;
    case "instance.admin_granted":
      return `Made ${c.targetName ?? "a user"} an instance admin`;
    case "instance.admin_revoked":
      return `Revoked instance admin from ${c.targetName ?? "a user"}`;
    default:
      return c.action;
  }
}

function RecentChanges({ changes }: { changes: TChange[] }) {
  return (
    <section aria-labelledby="changes-heading">
      <h2 id="changes-heading" className="mb-3 text-base font-semibold text-slate-900">
        Recent changes
      </h2>
      {changes.length === 0 ? (
        <EmptyState title="No changes yet">Changes to these settings and to instance admins are recorded here.</EmptyState>
      ) : (
        <DataTable label="Recent changes" columns={["When", "Change", "By", "Address"]}>
          {changes.map((c) => (
            <tr key={c.id}>
              <td className="whitespace-nowrap px-5 py-3 text-slate-600">{formatDateTime(c.at)}</td>
              <td className="px-5 py-3 text-slate-900">{describeChange(c)}</td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-600">{c.actorEmail ?? "—"}</td>
              <td className="whitespace-nowrap px-5 py-3 font-mono text-xs text-slate-600">{c.ip ?? "—"}</td>
            </tr>
          ))}
        </DataTable>
      )}
    </section>
  );
}
