"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { orgCan, orgRoles, type TOrgRole } from "@lockstep/auth/permissions";
import { Alert, EmptyState, Field, PageHeader } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { AddByEmail, RoleTable, useRoleActions } from "~/components/members/role-table";
import { DangerZone, GeneralSettingsCard } from "~/components/settings-forms";
import { LoadMore, nextPageAfter, PAGE_SIZE, rowsOf } from "~/components/paging";
import { useTRPC } from "~/trpc/react";

const ROLE_HINTS: Record<TOrgRole, string> = {
  owner: "Manages the organization, its members and all its workspaces.",
  member: "Sees the members and the organization's shared workspaces.",
  collaborator: "Sees only the workspaces they are added to.",
};

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
          <EmptyState title="Members are not listed for collaborators">
            You see only the workspaces you are added to.
          </EmptyState>
        )}
        {manages ? <DeleteOrg orgId={orgId} name={org.data.name} /> : null}
      </div>
    </>
  );
}

function GeneralSettings({ orgId, name, description }: { orgId: string; name: string; description: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.orgs.update.mutationOptions());

  return (
    <GeneralSettingsCard
      label="Organization details"
      saving={update.isPending}
      onSave={async (data) => {
        await update.mutateAsync({
          orgId,
          name: String(data.get("name") ?? ""),
          description: String(data.get("description") ?? ""),
        });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.orgs.get.queryKey({ orgId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
        ]);
      }}
    >
      {(errors) => (
        <>
          <Field id="org-name" name="name" label="Organization name" defaultValue={name} required error={errors.name} />
          <Field
            id="org-description"
            name="description"
            label="Description"
            defaultValue={description}
            error={errors.description}
          />
        </>
      )}
    </GeneralSettingsCard>
  );
}

function Members({ orgId, manages }: { orgId: string; manages: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useInfiniteQuery(
    trpc.orgs.members.list.infiniteQueryOptions({ orgId, limit: PAGE_SIZE }, { getNextPageParam: nextPageAfter() }),
  );
  const me = useQuery(trpc.me.get.queryOptions());
  const updateRole = useMutation(trpc.orgs.members.updateRole.mutationOptions());
  const remove = useMutation(trpc.orgs.members.remove.mutationOptions());
  const add = useMutation(trpc.orgs.members.add.mutationOptions());
  const revoke = useMutation(trpc.orgs.members.invitations.revoke.mutationOptions());
  const invitations = useInfiniteQuery({
    ...trpc.orgs.members.invitations.list.infiniteQueryOptions(
      { orgId, limit: PAGE_SIZE },
      { getNextPageParam: nextPageAfter() },
    ),
    enabled: manages,
  });

  // A change to one's own membership changes what this page may show, so the org is refetched too.
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.orgs.members.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.orgs.members.invitations.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.orgs.get.queryKey({ orgId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
    ]);
  const actions = useRoleActions<TOrgRole>({
    change: (userId, role) => updateRole.mutateAsync({ orgId, userId, role }),
    remove: (userId) => remove.mutateAsync({ orgId, userId }),
    revoke: (invitationId) => revoke.mutateAsync({ orgId, invitationId }),
    refresh,
  });

  return (
    <section aria-labelledby="members-heading">
      <h2 id="members-heading" className="mb-3 text-base font-semibold text-slate-900">
        Members
      </h2>
      {actions.error ? (
        <div className="mb-3">
          <Alert>{actions.error}</Alert>
        </div>
      ) : null}
      {members.isPending ? (
        <p className="text-sm text-slate-500">Loading members…</p>
      ) : members.isError ? (
        <Alert>{errorMessage(members.error)}</Alert>
      ) : (
        <RoleTable
          label="Members"
          holders={rowsOf(members.data)}
          meId={me.data?.id}
          manages={manages}
          roles={orgRoles}
          mayChange={() => true}
          changing={updateRole.isPending}
          removing={remove.isPending}
          onChangeRole={actions.changeRole}
          onRemove={actions.removeHolder}
          pending={rowsOf(invitations.data)}
          revoking={revoke.isPending}
          onRevoke={actions.revokeInvitation}
        />
      )}
      {members.data ? <LoadMore query={members} label="Load more members" /> : null}
      {invitations.data ? <LoadMore query={invitations} label="Load more invitations" /> : null}
      {manages ? (
        <AddByEmail<TOrgRole>
          title="Invite a member"
          intro="They get an invitation to accept on their dashboard, and become a member once they do; without an account yet, they can sign up with this email."
          idPrefix="member"
          roles={orgRoles}
          initialRole="member"
          roleHint={(role) => ROLE_HINTS[role]}
          submitLabel="Invite member"
          adding={add.isPending}
          onAdd={async (email, role) => {
            const invitation = await add.mutateAsync({ orgId, email, role });
            return `Invited ${invitation.email} as ${invitation.role === "owner" ? "an" : "a"} ${invitation.role}. They become a member once they accept.`;
          }}
          onAdded={refresh}
        />
      ) : null}
    </section>
  );
}

function DeleteOrg({ orgId, name }: { orgId: string; name: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const del = useMutation(trpc.orgs.delete.mutationOptions());

  return (
    <DangerZone
      what="organization"
      name={name}
      inputId="delete-org-confirm"
      deleting={del.isPending}
      onDelete={async () => {
        await del.mutateAsync({ orgId });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() }),
        ]);
        router.push("/dashboard");
      }}
    >
      Deleting the organization deletes all its workspaces, with their secrets, pipelines and compute environments, and
      removes every member. It cannot be undone.
    </DangerZone>
  );
}
