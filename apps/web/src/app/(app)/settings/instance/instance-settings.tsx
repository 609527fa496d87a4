"use client";

import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useDeferredValue, useState, type FormEvent } from "react";
import { Alert, Badge, Button, Card, Checkbox, EmptyState, Field, PageHeader, RadioCard } from "@lockstep/ui";
import { auditActionLabel } from "@lockstep/validators";
import { errorMessage } from "~/components/errors";
import { DataTable } from "~/components/data-table";
import { useTRPC } from "~/trpc/react";

type THostPolicy = "instance-admins" | "workspace-maintainers";

const POLICIES: Array<{ value: THostPolicy; title: string; description: string }> = [
  {
    value: "instance-admins",
    title: "Instance admins only (recommended)",
    description:
      "Only instance admins create and edit local and host Slurm environments. Workspace maintainers still use them and manage cloud ones.",
  },
  {
    value: "workspace-maintainers",
    title: "Workspace maintainers",
    description:
      "Maintainers, admins and owners of any workspace create and edit them too. Choose this only if everyone who can sign up is trusted.",
  },
];

const POLICY_LABELS: Record<string, string> = {
  "instance-admins": "instance admins only",
  "workspace-maintainers": "workspace maintainers",
};

type TSignupPolicy = "open" | "invite" | "off";

const SIGNUP_POLICIES: Array<{ value: TSignupPolicy; title: string; description: string }> = [
  {
    value: "invite",
    title: "By invitation (recommended)",
    description:
      "Only an email with a pending invitation to an organization or workspace can sign up, and finds the invitation on its dashboard.",
  },
  {
    value: "open",
    title: "Open",
    description: "Anyone who reaches this instance can create an account (and a personal workspace).",
  },
  {
    value: "off",
    title: "Off",
    description: "Nobody can create an account, by password or single sign-on. Existing accounts keep working.",
  },
];

const SIGNUP_LABELS: Record<string, string> = { open: "open", invite: "by invitation", off: "off" };
const signupLabel = (value: unknown) =>
  value === null || value === undefined
    ? "LOCKSTEP_SIGNUP (environment)"
    : (SIGNUP_LABELS[String(value)] ?? String(value));

const PAGE_SIZE = 20;
const formatDate = (date: Date | string) =>
  new Date(date).toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });
const formatDateTime = (date: Date | string) =>
  new Date(date).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });

export function InstanceSettings({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const instance = useQuery(trpc.instance.get.queryOptions(undefined, { retry: false }));

  if (instance.isPending) return <p className="text-sm text-slate-500">Loading instance settings…</p>;
  if (instance.isError) return <Alert>{errorMessage(instance.error)}</Alert>;

  return (
    <>
      <PageHeader
        title="Instance settings"
        description="Settings for everyone on this Lockstep instance. Only instance admins see this page."
      />
      <div className="space-y-8">
        <SignupCard signup={instance.data.signup} />
        <HostComputeEnvsCard
          current={instance.data.hostComputeEnvs}
          updatedAt={instance.data.updatedAt}
          updatedBy={instance.data.updatedBy?.name ?? instance.data.updatedBy?.email ?? null}
        />
        <PipelineRootsCard roots={instance.data.localPipelineRoots} />
        <WebhookDestinationsCard webhooks={instance.data.webhooks} />
        <Users currentUserId={currentUserId} />
        <RecentChanges changes={instance.data.recentChanges} />
      </div>
    </>
  );
}

function HostComputeEnvsCard({
  current,
  updatedAt,
  updatedBy,
}: {
  current: THostPolicy;
  updatedAt: string | null;
  updatedBy: string | null;
}) {
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
        Their runs execute pipeline code on the machines that run Lockstep (for host Slurm, the worker is the submit
        host). Whoever can create one decides what runs there.
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
          Either way, deleting one stays a maintainer&apos;s action, and runs on them can be launched from a personal
          workspace by instance admins only.
        </p>
        {error ? <Alert>{error}</Alert> : null}
        {saved ? <Alert tone="green">Saved.</Alert> : null}
        <div className="flex flex-wrap items-center gap-4">
          <Button type="submit" disabled={update.isPending || choice === current}>
            {update.isPending ? "Saving…" : "Save"}
          </Button>
          <p className="text-sm text-slate-500">
            {updatedAt
              ? `Last changed ${formatDateTime(updatedAt)}${updatedBy ? ` by ${updatedBy}` : ""}.`
              : "Never changed: the default applies."}
          </p>
        </div>
      </form>
    </Card>
  );
}

function SignupCard({
  signup,
}: {
  signup: { policy: TSignupPolicy; saved: TSignupPolicy | null; environment: TSignupPolicy };
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.instance.update.mutationOptions());
  const [choice, setChoice] = useState<TSignupPolicy>(signup.policy);
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState<string | null>(null);

  async function save(value: TSignupPolicy | null) {
    setError(null);
    setSaved(null);
    try {
      const next = await update.mutateAsync({ signup: value });
      queryClient.setQueryData(trpc.instance.get.queryKey(), next);
      setChoice(next.signup.policy);
      setSaved(value === null ? "LOCKSTEP_SIGNUP applies again." : "Sign-up policy saved.");
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <Card>
      <h2 id="signup-heading" className="text-base font-semibold text-slate-900">
        Sign-up
      </h2>
      <p className="mt-1 max-w-3xl text-sm text-slate-500">
        Who may create an account on this instance, with a password or through single sign-on. Adding someone to an
        organization or workspace always sends them an invitation they accept on their dashboard.
      </p>
      <form
        className="mt-5 space-y-4"
        onSubmit={(e) => {
          e.preventDefault();
          void save(choice);
        }}
        aria-labelledby="signup-heading"
      >
        <fieldset>
          <legend className="block text-sm font-medium text-slate-900">Who may sign up</legend>
          <div className="mt-1.5 grid gap-3 md:grid-cols-3">
            {SIGNUP_POLICIES.map((p) => (
              <RadioCard
                key={p.value}
                id={`signup-${p.value}`}
                name="signup"
                value={p.value}
                checked={choice === p.value}
                onChange={() => {
                  setChoice(p.value);
                  setSaved(null);
                }}
                title={p.title}
              >
                {p.description}
              </RadioCard>
            ))}
          </div>
        </fieldset>
        <p className="text-sm text-slate-600" data-testid="signup-source">
          {signup.saved === null ? (
            <>
              In force: <strong>{SIGNUP_LABELS[signup.policy]}</strong>, from the environment (
              <code className="font-mono text-xs">LOCKSTEP_SIGNUP={signup.environment}</code>). Saving a policy here
              overrides it.
            </>
          ) : (
            <>
              In force: <strong>{SIGNUP_LABELS[signup.policy]}</strong>, saved on this page; it wins over the
              environment (<code className="font-mono text-xs">LOCKSTEP_SIGNUP={signup.environment}</code>) until you go
              back to it.
            </>
          )}
        </p>
        {error ? <Alert>{error}</Alert> : null}
        {saved ? <Alert tone="green">{saved}</Alert> : null}
        <div className="flex flex-wrap items-center gap-3">
          <Button type="submit" disabled={update.isPending || (signup.saved !== null && choice === signup.saved)}>
            {update.isPending ? "Saving…" : "Save sign-up policy"}
          </Button>
          {signup.saved !== null ? (
            <Button variant="secondary" disabled={update.isPending} onClick={() => void save(null)}>
              Use LOCKSTEP_SIGNUP again
            </Button>
          ) : null}
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
        A pipeline given as a path must be a directory holding{" "}
        <code className="font-mono text-xs text-slate-700">main.nf</code> inside one of these directories (checked when
        it is saved and again at launch). They are set by{" "}
        <code className="font-mono text-xs text-slate-700">LOCKSTEP_LOCAL_PIPELINE_ROOTS</code> on the web app and the
        worker: change it there and restart both.
      </p>
      <div className="mt-4">
        {roots.length === 0 ? (
          <Alert tone="amber">Local pipeline paths are turned off: only https:// repositories can be registered.</Alert>
        ) : (
          <ul
            aria-label="Allowed pipeline directories"
            className="divide-y divide-slate-100 rounded-lg ring-1 ring-slate-200"
          >
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

/**
 * Where webhooks may go. By default https only and never to a private, loopback or link-local
 * address; an instance admin may allow plain http and exempt networks (e.g. a receiver on the
 * same private network). Every change is an audited instance setting.
 */
function WebhookDestinationsCard({ webhooks }: { webhooks: { allowHttp: boolean; allowedNetworks: string[] } }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.instance.update.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setError(null);
    setSaved(false);
    try {
      const next = await update.mutateAsync({
        webhooksAllowHttp: data.get("allowHttp") === "on",
        webhooksAllowedNetworks: String(data.get("networks") ?? "")
          .split(/[\s,]+/)
          .filter(Boolean),
      });
      queryClient.setQueryData(trpc.instance.get.queryKey(), next);
      setSaved(true);
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <Card>
      <h2 id="webhook-destinations-heading" className="text-base font-semibold text-slate-900">
        Webhook destinations
      </h2>
      <p className="mt-1 max-w-3xl text-sm text-slate-500">
        Workspace admins choose where their webhooks go; the worker makes the calls. By default it calls only https URLs
        on public addresses, never loopback, private, link-local (cloud metadata) or other special addresses, checked on
        the address it connects to. Exempt only networks you mean workspace admins to reach from the worker.
      </p>
      <form
        className="mt-5 space-y-4"
        onSubmit={(e) => void onSubmit(e)}
        aria-labelledby="webhook-destinations-heading"
      >
        <Checkbox
          id="webhooks-allow-http"
          name="allowHttp"
          defaultChecked={webhooks.allowHttp}
          label="Allow plain http"
          hint="Messages and their signatures travel unencrypted."
        />
        <Field
          id="webhooks-networks"
          name="networks"
          label="Networks exempt from the private-address block"
          placeholder="e.g. 10.20.0.0/16"
          defaultValue={webhooks.allowedNetworks.join(", ")}
          hint="CIDRs, separated by commas or spaces. The worker's own ports, Postgres and Redis stay refused."
        />
        {error ? <Alert>{error}</Alert> : null}
        {saved ? <Alert tone="green">Webhook destinations saved.</Alert> : null}
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save webhook destinations"}
        </Button>
      </form>
    </Card>
  );
}

type TConfirm = { userId: string; action: "revoke-admin" | "disable" | "end-sessions" };

function Users({ currentUserId }: { currentUserId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [page, setPage] = useState(1);
  const [search, setSearch] = useState("");
  const deferredSearch = useDeferredValue(search.trim());
  const users = useQuery(
    trpc.instance.users.list.queryOptions(
      { page, pageSize: PAGE_SIZE, search: deferredSearch || undefined },
      { placeholderData: keepPreviousData },
    ),
  );
  const setAdmin = useMutation(trpc.instance.users.setAdmin.mutationOptions());
  const setDisabled = useMutation(trpc.instance.users.setDisabled.mutationOptions());
  const endSessions = useMutation(trpc.instance.users.endSessions.mutationOptions());
  const [confirming, setConfirming] = useState<TConfirm | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const busy = setAdmin.isPending || setDisabled.isPending || endSessions.isPending;

  async function act(run: () => Promise<unknown>, done?: string) {
    setError(null);
    setNotice(null);
    try {
      await run();
      await queryClient.invalidateQueries({ queryKey: trpc.instance.pathKey() });
      if (done) setNotice(done);
    } catch (e) {
      setError(errorMessage(e));
    }
    setConfirming(null);
  }

  async function change(userId: string, isInstanceAdmin: boolean) {
    await act(() => setAdmin.mutateAsync({ userId, isInstanceAdmin }));
    // Revoking your own: this page is no longer yours.
    if (userId === currentUserId && !isInstanceAdmin) window.location.assign("/dashboard");
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
          <p className="mt-1 max-w-3xl text-sm text-slate-500">
            Every account on this instance. Instance admins can open this page; being one gives no role in any
            workspace. A disabled account cannot sign in, and its sessions and access tokens stop working at once.
          </p>
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
      {notice ? (
        <div className="mb-3">
          <Alert tone="green">{notice}</Alert>
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
              const active = u.disabledAt === null;
              const lastAdmin = u.isInstanceAdmin && active && data!.admins <= 1;
              const asking = confirming?.userId === u.id ? confirming.action : null;
              return (
                <tr key={u.id}>
                  <td className="px-5 py-3 font-medium text-slate-900">
                    {u.name}
                    {you ? <span className="ml-2 text-xs font-normal text-slate-500">(you)</span> : null}
                    {active ? null : (
                      <span
                        className="ml-2 align-middle"
                        title={`Disabled on ${formatDate(u.disabledAt!)}: cannot sign in; sessions and access tokens refused.`}
                      >
                        <Badge tone="red">Disabled</Badge>
                      </span>
                    )}
                  </td>
                  <td className="px-5 py-3 text-slate-600">{u.email}</td>
                  <td className="whitespace-nowrap px-5 py-3 text-slate-600">{formatDate(u.createdAt)}</td>
                  <td className="whitespace-nowrap px-5 py-3">
                    {u.isInstanceAdmin ? (
                      <Badge tone="indigo">Instance admin</Badge>
                    ) : (
                      <span className="text-slate-500">User</span>
                    )}
                  </td>
                  <td className="whitespace-nowrap px-5 py-3 text-right">
                    {asking ? (
                      <span className="inline-flex items-center gap-2">
                        <span className="text-slate-600">
                          {asking === "revoke-admin"
                            ? you
                              ? "Revoke your own admin? You lose this page."
                              : `Revoke ${u.name}'s admin?`
                            : asking === "disable"
                              ? `Disable ${u.name}? They are signed out everywhere.`
                              : `Sign ${u.name} out everywhere?`}
                        </span>
                        <Button
                          variant="danger"
                          disabled={busy}
                          onClick={() =>
                            void (asking === "revoke-admin"
                              ? change(u.id, false)
                              : asking === "disable"
                                ? act(
                                    () => setDisabled.mutateAsync({ userId: u.id, disabled: true }),
                                    `Disabled ${u.email}: their sessions and access tokens no longer work.`,
                                  )
                                : act(
                                    () => endSessions.mutateAsync({ userId: u.id }),
                                    `Ended every session of ${u.email}.`,
                                  ))
                          }
                        >
                          {asking === "revoke-admin"
                            ? "Confirm revoke"
                            : asking === "disable"
                              ? "Confirm disable"
                              : "Confirm sign-out"}
                        </Button>
                        <Button variant="secondary" onClick={() => setConfirming(null)}>
                          Cancel
                        </Button>
                      </span>
                    ) : (
                      <span className="inline-flex items-center gap-2">
                        {u.isInstanceAdmin ? (
                          <Button
                            variant="secondary"
                            aria-label={`Revoke instance admin from ${u.email}`}
                            title={
                              lastAdmin ? "The instance's only admin: make someone else an admin first." : undefined
                            }
                            disabled={lastAdmin}
                            onClick={() => setConfirming({ userId: u.id, action: "revoke-admin" })}
                          >
                            Revoke admin
                          </Button>
                        ) : (
                          <Button
                            variant="secondary"
                            aria-label={`Make ${u.email} an instance admin`}
                            disabled={busy}
                            onClick={() => void change(u.id, true)}
                          >
                            Make admin
                          </Button>
                        )}
                        {you ? null : (
                          <Button
                            variant="secondary"
                            aria-label={`End the sessions of ${u.email}`}
                            disabled={busy || !active}
                            onClick={() => setConfirming({ userId: u.id, action: "end-sessions" })}
                          >
                            End sessions
                          </Button>
                        )}
                        {you ? null : active ? (
                          <Button
                            variant="secondary"
                            aria-label={`Disable ${u.email}`}
                            title={lastAdmin ? "The instance's only active admin cannot be disabled." : undefined}
                            disabled={busy || lastAdmin}
                            onClick={() => setConfirming({ userId: u.id, action: "disable" })}
                          >
                            Disable
                          </Button>
                        ) : (
                          <Button
                            variant="secondary"
                            aria-label={`Enable ${u.email}`}
                            disabled={busy}
                            onClick={() =>
                              void act(
                                () => setDisabled.mutateAsync({ userId: u.id, disabled: false }),
                                `Enabled ${u.email}: they can sign in again.`,
                              )
                            }
                          >
                            Enable
                          </Button>
                        )}
                      </span>
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

type TChange = {
  id: string;
  at: string;
  action: string;
  actorEmail: string | null;
  ip: string | null;
  targetName: string | null;
  detail: Record<string, unknown>;
};

function describeChange(c: TChange): string {
  switch (c.action) {
    case "instance.settings_updated":
      if (c.detail.setting === "signup") return `Sign-up: ${signupLabel(c.detail.from)} → ${signupLabel(c.detail.to)}`;
      if (c.detail.setting === "webhooksAllowHttp")
        return `Webhooks over plain http: ${c.detail.to ? "allowed" : "refused"}`;
      if (c.detail.setting === "webhooksAllowedNetworks")
        return `Webhook networks exempt from the private-address block: ${String(c.detail.to) || "none"}`;
      return `Local and host Slurm environments: ${POLICY_LABELS[String(c.detail.from)] ?? String(c.detail.from)} → ${POLICY_LABELS[String(c.detail.to)] ?? String(c.detail.to)}`;
    case "instance.setup_claimed":
      return `Set up the instance with the setup code (${c.targetName ?? "first account"})`;
    case "instance.user_disabled":
      return `Disabled ${c.targetName ?? "a user"}`;
    case "instance.user_enabled":
      return `Enabled ${c.targetName ?? "a user"}`;
    case "instance.sessions_ended":
      return `Ended every session of ${c.targetName ?? "a user"}`;
    case "instance.admin_granted":
      return `Made ${c.targetName ?? "a user"} an instance admin`;
    case "instance.admin_revoked":
      return `Revoked instance admin from ${c.targetName ?? "a user"}`;
    default:
      return auditActionLabel(c.action);
  }
}

function RecentChanges({ changes }: { changes: TChange[] }) {
  return (
    <section aria-labelledby="changes-heading">
      <h2 id="changes-heading" className="mb-3 text-base font-semibold text-slate-900">
        Recent changes
      </h2>
      {changes.length === 0 ? (
        <EmptyState title="No changes yet">
          Changes to these settings, to instance admins and to disabled accounts are recorded here.
        </EmptyState>
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
