"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { orgCan, orgRoles, type TOrgRole } from "@lockstep/auth/permissions";
import { Alert, Badge, Button, Card, EmptyState, Field, PageHeader, Select } from "@lockstep/ui";
import { errorMessage, fieldErrorsOf } from "~/components/errors";
import { useTRPC } from "~/trpc/react";

const ROLE_HINTS: Record<TOrgRole, string> = {
  owner: "Manages the organization, its members and all its workspaces.",
  member: "Sees the members and the organization's shared workspaces.",
  collaborator: "Sees only the workspaces they are added to.",
};

const formatDate = (date: Date) => date.toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });

export function OrgSettings({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const org = useQuery(trpc.orgs.get.queryOptions({ orgId }, { retry: false }));

  if (org.isPending) return <p className="text-sm text-slate-500">Loading organization…</p>;
  if (org.isError) {
    const code = org.error.data?.code;
    if (code === "NOT_FOUND" || code === "BAD_REQUEST") {
      return (
        <EmptyState title="Organization not found">
          It does not exist, or you are not a member of it.{" "}
          <Link href="/dashboard" className="font-medium text-indigo-600 hover:text-indigo-500">
            Back to your dashboard
          </Link>
        </EmptyState>
      );
    }
    return <Alert>{errorMessage(org.error)}</Alert>;
  }

  const { role } = org.data;
  const manages = orgCan(role, "org:manage");
  return (
    <>
      <Link href={`/orgs/${orgId}`} className="text-sm font-medium text-indigo-600 hover:text-indigo-500">
        ← {org.data.name}
      </Link>
      <div className="mt-2">
        <PageHeader
          title={manages ? "Organization settings" : "Members"}
          description={manages ? `Name, members and deletion of ${org.data.name}.` : `The members of ${org.data.name}.`}
        />
      </div>
      <div className="space-y-8">
        {manages ? <GeneralSettings orgId={orgId} name={org.data.name} description={org.data.description} /> : null}
        {orgCan(role, "org:members:list") ? (
          <Members orgId={orgId} manages={manages} />
        ) : (
          <EmptyState title="Members are not listed for collaborators">You see only the workspaces you are added to.</EmptyState>
        )}
        {manages ? <DeleteOrg orgId={orgId} name={org.data.name} /> : null}
      </div>
    </>
  );
}

function GeneralSettings({ orgId, name, description }: { orgId: string; name: string; description: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const update = useMutation(trpc.orgs.update.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setErrors({});
    setSaved(false);
    try {
      await update.mutateAsync({ orgId, name: String(data.get("name") ?? ""), description: String(data.get("description") ?? "") });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.orgs.get.queryKey({ orgId }) }),
        queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
      ]);
      setSaved(true);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">General</h2>
      <form className="mt-4 max-w-xl space-y-4" onSubmit={onSubmit} noValidate aria-label="Organization details">
        <Field id="org-name" name="name" label="Organization name" defaultValue={name} required maxLength={100} error={errors.name} />
        <Field id="org-description" name="description" label="Description" defaultValue={description} maxLength={1000} error={errors.description} />
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        {saved ? <Alert tone="green">Saved.</Alert> : null}
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </Button>
      </form>
    </Card>
  );
}

function Members({ orgId, manages }: { orgId: string; manages: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.orgs.members.list.queryOptions({ orgId }));
  const me = useQuery(trpc.me.get.queryOptions());
  const updateRole = useMutation(trpc.orgs.members.updateRole.mutationOptions());
  const remove = useMutation(trpc.orgs.members.remove.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  // A change to one's own membership changes what this page may show, so the org is refetched too.
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.orgs.members.list.queryKey({ orgId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.orgs.get.queryKey({ orgId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
    ]);

  async function changeRole(userId: string, role: TOrgRole) {
    setError(null);
    try {
      await updateRole.mutateAsync({ orgId, userId, role });
    } catch (e) {
      setError(errorMessage(e));
    }
    // Refetch either way: on failure the select snaps back to the stored role.
    await refresh();
  }

  async function removeMember(userId: string) {
    setError(null);
    try {
      await remove.mutateAsync({ orgId, userId });
      setConfirming(null);
      await refresh();
    } catch (e) {
      setError(errorMessage(e));
      setConfirming(null);
    }
  }

  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading" className="mb-3 text-base font-semibold text-slate-900">
        Members
      </h2>
      {error ? (
        <div className="mb-3">
          <Alert>{error}</Alert>
        </div>
      ) : null}
      {members.isPending ? (
        <p className="text-sm text-slate-500">Loading members…</p>
      ) : members.isError ? (
        <Alert>{errorMessage(members.error)}</Alert>
      ) : (
        <div className="overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Members">
            <thead className="bg-slate-50">
              <tr>
                <Th>Name</Th>
                <Th>Email</Th>
                <Th>Role</Th>
                <Th>Since</Th>
                {manages ? (
                  <th scope="col" className="px-5 py-3">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {members.data.map((m) => (
                <tr key={m.userId}>
                  <td className="px-5 py-3 font-medium text-slate-900">
                    {m.name}
                    {m.userId === me.data?.id ? <span className="ml-1.5 text-xs font-normal text-slate-500">(you)</span> : null}
                  </td>
                  <td className="px-5 py-3 text-slate-600">{m.email}</td>
                  <td className="px-5 py-3">
                    {manages ? (
                      <Select
                        aria-label={`Role of ${m.name}`}
                        value={m.role}
                        disabled={updateRole.isPending}
                        onChange={(e) => void changeRole(m.userId, e.target.value as TOrgRole)}
                      >
                        {orgRoles.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </Select>
                    ) : (
                      <Badge tone={m.role === "owner" ? "indigo" : "slate"}>{m.role}</Badge>
                    )}
                  </td>
                  <td className="whitespace-nowrap px-5 py-3 text-slate-600">{formatDate(m.since)}</td>
                  {manages ? (
                    <td className="whitespace-nowrap px-5 py-3 text-right">
                      {confirming === m.userId ? (
                        <span className="inline-flex items-center gap-2">
                          <span className="text-slate-600">Remove {m.name}?</span>
                          <Button variant="danger" disabled={remove.isPending} onClick={() => void removeMember(m.userId)}>
                            Confirm removal
                          </Button>
                          <Button variant="secondary" onClick={() => setConfirming(null)}>
                            Cancel
                          </Button>
                        </span>
                      ) : (
                        <Button variant="secondary" aria-label={`Remove ${m.name}`} onClick={() => setConfirming(m.userId)}>
                          Remove
                        </Button>
                      )}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {manages ? <AddMember orgId={orgId} onAdded={refresh} /> : null}
    </section>
  );
}

function Th({ children }: { children: string }) {
  return (
    <th scope="col" className="px-5 py-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
      {children}
    </th>
  );
}

function AddMember({ orgId, onAdded }: { orgId: string; onAdded: () => Promise<unknown> }) {
  const trpc = useTRPC();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [role, setRole] = useState<TOrgRole>("member");
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation(trpc.orgs.members.add.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const email = String(new FormData(form).get("email") ?? "");
    setErrors({});
    setAdded(null);
    try {
      const member = await add.mutateAsync({ orgId, email, role });
      form.reset();
      setAdded(`${member.name} (${member.email}) is now ${member.role === "owner" ? "an" : "a"} ${member.role}.`);
      await onAdded();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card className="mt-4">
      <h3 className="text-sm font-semibold text-slate-900">Add a member</h3>
      <p className="mt-1 text-sm text-slate-500">They need a Lockstep account first.</p>
      <form className="mt-4 space-y-4" onSubmit={onSubmit} noValidate aria-label="Add a member">
        <div className="grid items-start gap-4 sm:grid-cols-[1fr_12rem_auto]">
          <Field id="member-email" name="email" type="email" label="Email" autoComplete="off" required error={errors.email} />
          <div>
            <label htmlFor="member-role" className="block text-sm font-medium text-slate-900">
              Role
            </label>
            <Select id="member-role" value={role} onChange={(e) => setRole(e.target.value as TOrgRole)} className="mt-1.5 h-9 w-full">
              {orgRoles.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          </div>
          <Button type="submit" className="h-9 sm:mt-[1.625rem]" disabled={add.isPending}>
            {add.isPending ? "Adding…" : "Add member"}
          </Button>
        </div>
        <p className="text-sm text-slate-500">{ROLE_HINTS[role]}</p>
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        {added ? <Alert tone="green">{added}</Alert> : null}
      </form>
    </Card>
  );
}

function DeleteOrg({ orgId, name }: { orgId: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const del = useMutation(trpc.orgs.delete.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (typed !== name) return;
    setError(null);
    try {
      await del.mutateAsync({ orgId });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
        queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() }),
      ]);
      router.push("/dashboard");
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <section aria-labelledby="danger-heading" className="rounded-xl bg-white p-8 shadow-sm ring-1 ring-red-200">
      <h2 id="danger-heading" className="text-base font-semibold text-red-700">
        Danger zone
      </h2>
      <p className="mt-1 max-w-2xl text-sm text-slate-600">
        Deleting the organization deletes all its workspaces, with their secrets, pipelines and compute environments, and removes every member. It cannot be
        undone.
      </p>
      <form className="mt-4 max-w-xl space-y-4" onSubmit={onSubmit} noValidate aria-label="Delete organization">
        <p className="text-sm text-slate-700">
          To confirm, type <strong className="font-semibold text-slate-900">{name}</strong> below.
        </p>
        <Field
          id="delete-org-confirm"
          label="Name of the organization to delete"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        {error ? <Alert>{error}</Alert> : null}
        <Button type="submit" variant="danger" disabled={typed !== name || del.isPending}>
          {del.isPending ? "Deleting…" : "Delete organization"}
        </Button>
      </form>
    </section>
  );
}
