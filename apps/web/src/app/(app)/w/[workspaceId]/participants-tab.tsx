"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { can, roleRank, workspaceRoles, type TWorkspaceRole } from "@lockstep/auth/permissions";
import { Alert, Badge, Button, Card, Field, Select } from "@lockstep/ui";
import { errorMessage, fieldErrorsOf } from "~/components/errors";
import { useTRPC } from "~/trpc/react";

const ROLE_HINTS: Record<TWorkspaceRole, string> = {
  owner: "Everything, including deleting the workspace.",
  admin: "Everything but deleting the workspace: secrets, runs, participants, settings, audit log.",
  maintainer: "Secrets, pipelines, compute environments and runs (any run).",
  launch: "Launches runs with the workspace's secrets and cancels their own runs.",
  connect: "Sees the workspace and its secret names; cannot launch.",
  view: "Read-only: the workspace and its secret names.",
};

const formatDate = (date: Date) => date.toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });

export function ParticipantsTab({ workspaceId, role }: { workspaceId: string; role: TWorkspaceRole }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const participants = useQuery(trpc.workspaces.participants.list.queryOptions({ workspaceId }));
  const me = useQuery(trpc.me.get.queryOptions());
  const updateRole = useMutation(trpc.workspaces.participants.updateRole.mutationOptions());
  const remove = useMutation(trpc.workspaces.participants.remove.mutationOptions());
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<string | null>(null);

  const manages = can(role, "participants:manage");
  // Nobody hands out (or takes away) more than they hold: the server refuses it, so the UI does not offer it.
  const grantable = workspaceRoles.filter((r) => roleRank(r) <= roleRank(role));
  const mayChange = (r: TWorkspaceRole) => manages && roleRank(r) <= roleRank(role);

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.participants.list.queryKey({ workspaceId }) }),
      // Changing one's own role changes what this page may show.
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.get.queryKey({ workspaceId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() }),
    ]);

  async function changeRole(userId: string, next: TWorkspaceRole) {
    setError(null);
    try {
      await updateRole.mutateAsync({ workspaceId, userId, role: next });
    } catch (e) {
      setError(errorMessage(e));
    }
    // Refetch either way: on failure the select snaps back to the stored role.
    await refresh();
  }

  async function removeParticipant(userId: string) {
    setError(null);
    try {
      await remove.mutateAsync({ workspaceId, userId });
      await refresh();
    } catch (e) {
      setError(errorMessage(e));
    }
    setConfirming(null);
  }

  return (
    <section aria-labelledby="participants-heading">
      <div className="mb-3 flex items-baseline justify-between gap-4">
        <h2 id="participants-heading" className="text-base font-semibold text-slate-900">
          Participants
        </h2>
        {!manages ? <p className="text-sm text-slate-500">Only owners and admins manage participants.</p> : null}
      </div>
      {error ? (
        <div className="mb-3">
          <Alert>{error}</Alert>
        </div>
      ) : null}
      {participants.isPending ? (
        <p className="text-sm text-slate-500">Loading participants…</p>
      ) : participants.isError ? (
        <Alert>{errorMessage(participants.error)}</Alert>
      ) : participants.data.length === 0 ? (
        <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-10 text-center">
          <p className="text-sm font-semibold text-slate-900">No participants yet</p>
          <p className="mt-1 text-sm text-slate-500">Organization owners act as owners of every workspace.</p>
        </div>
      ) : (
        <div className="overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Participants">
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
              {participants.data.map((p) => (
                <tr key={p.userId}>
                  <td className="px-5 py-3 font-medium text-slate-900">
                    {p.name}
                    {p.userId === me.data?.id ? <span className="ml-1.5 text-xs font-normal text-slate-500">(you)</span> : null}
                  </td>
                  <td className="px-5 py-3 text-slate-600">{p.email}</td>
                  <td className="px-5 py-3">
                    {mayChange(p.role) ? (
                      <Select
                        aria-label={`Role of ${p.name}`}
                        value={p.role}
                        disabled={updateRole.isPending}
                        onChange={(e) => void changeRole(p.userId, e.target.value as TWorkspaceRole)}
                      >
                        {grantable.map((r) => (
                          <option key={r} value={r}>
                            {r}
                          </option>
                        ))}
                      </Select>
                    ) : (
                      <Badge tone={p.role === "owner" ? "indigo" : "slate"}>{p.role}</Badge>
                    )}
                  </td>
                  <td className="whitespace-nowrap px-5 py-3 text-slate-600">{formatDate(p.since)}</td>
                  {manages ? (
                    <td className="whitespace-nowrap px-5 py-3 text-right">
                      {!mayChange(p.role) ? null : confirming === p.userId ? (
                        <span className="inline-flex items-center gap-2">
                          <span className="text-slate-600">Remove {p.name}?</span>
                          <Button variant="danger" disabled={remove.isPending} onClick={() => void removeParticipant(p.userId)}>
                            Confirm removal
                          </Button>
                          <Button variant="secondary" onClick={() => setConfirming(null)}>
                            Cancel
                          </Button>
                        </span>
                      ) : (
                        <Button variant="secondary" aria-label={`Remove ${p.name}`} onClick={() => setConfirming(p.userId)}>
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
      {manages ? <AddParticipant workspaceId={workspaceId} grantable={grantable} onAdded={refresh} /> : null}
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

function AddParticipant({
  workspaceId,
  grantable,
  onAdded,
}: {
  workspaceId: string;
  grantable: TWorkspaceRole[];
  onAdded: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [role, setRole] = useState<TWorkspaceRole>(grantable.includes("launch") ? "launch" : (grantable.at(-1) ?? "view"));
  const [added, setAdded] = useState<string | null>(null);
  const add = useMutation(trpc.workspaces.participants.add.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const email = String(new FormData(form).get("email") ?? "");
    setErrors({});
    setAdded(null);
    try {
      const p = await add.mutateAsync({ workspaceId, email, role });
      form.reset();
      setAdded(`${p.name} (${p.email}) was added as ${p.role}.`);
      await onAdded();
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card className="mt-4">
      <h3 className="text-sm font-semibold text-slate-900">Add a participant</h3>
      <p className="mt-1 text-sm text-slate-500">
        They need a Lockstep account. Someone outside the organization joins it as a collaborator, who sees only the workspaces they are added to.
      </p>
      <form className="mt-4 space-y-4" onSubmit={onSubmit} noValidate aria-label="Add a participant">
        <div className="grid items-start gap-4 sm:grid-cols-[1fr_12rem_auto]">
          <Field id="participant-email" name="email" type="email" label="Email" autoComplete="off" required error={errors.email} />
          <div>
            <label htmlFor="participant-role" className="block text-sm font-medium text-slate-900">
              Role
            </label>
            <Select id="participant-role" value={role} onChange={(e) => setRole(e.target.value as TWorkspaceRole)} className="mt-1.5 h-9 w-full">
              {grantable.map((r) => (
                <option key={r} value={r}>
                  {r}
                </option>
              ))}
            </Select>
          </div>
          <Button type="submit" className="h-9 sm:mt-[1.625rem]" disabled={add.isPending}>
            {add.isPending ? "Adding…" : "Add participant"}
          </Button>
        </div>
        <p className="text-sm text-slate-500">
          <span className="font-medium text-slate-700">{role}:</span> {ROLE_HINTS[role]}
        </p>
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        {added ? <Alert tone="green">{added}</Alert> : null}
      </form>
    </Card>
  );
}
