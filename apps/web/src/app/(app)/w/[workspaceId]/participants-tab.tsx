"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { can, roleRank, workspaceRoles, type TWorkspaceRole } from "@lockstep/auth/permissions";
import { Alert, EmptyState } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { AddByEmail, RoleTable, useRoleActions } from "~/components/members/role-table";
import { LoadMore, nextPageAfter, PAGE_SIZE, rowsOf } from "~/components/paging";
import { useTRPC } from "~/trpc/react";

const ROLE_HINTS: Record<TWorkspaceRole, string> = {
  owner: "Everything, including deleting the workspace.",
  admin: "Everything but deleting the workspace: secrets, runs, participants, settings, audit log.",
  maintainer: "Secrets, pipelines, compute environments and runs (any run).",
  launch: "Launches runs with the workspace's secrets and cancels their own runs.",
  connect: "Sees the workspace and its secret names; cannot launch.",
  view: "Read-only: the workspace and its secret names.",
};

export function ParticipantsTab({ workspaceId, role }: { workspaceId: string; role: TWorkspaceRole }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const participants = useInfiniteQuery(
    trpc.workspaces.participants.list.infiniteQueryOptions(
      { workspaceId, limit: PAGE_SIZE },
      { getNextPageParam: nextPageAfter() },
    ),
  );
  const participantRows = rowsOf(participants.data);
  const me = useQuery(trpc.me.get.queryOptions());
  const updateRole = useMutation(trpc.workspaces.participants.updateRole.mutationOptions());
  const remove = useMutation(trpc.workspaces.participants.remove.mutationOptions());
  const add = useMutation(trpc.workspaces.participants.add.mutationOptions());
  const revoke = useMutation(trpc.workspaces.participants.invitations.revoke.mutationOptions());

  const manages = can(role, "participants:manage");
  const invitations = useInfiniteQuery({
    ...trpc.workspaces.participants.invitations.list.infiniteQueryOptions(
      { workspaceId, limit: PAGE_SIZE },
      { getNextPageParam: nextPageAfter() },
    ),
    enabled: manages,
  });
  // Nobody hands out (or takes away) more than they hold: the server refuses it, so the UI does not offer it.
  const grantable = workspaceRoles.filter((r) => roleRank(r) <= roleRank(role));

  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.participants.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.participants.invitations.list.pathKey() }),
      // Changing one's own role changes what this page may show.
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.get.queryKey({ workspaceId }) }),
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() }),
    ]);
  const actions = useRoleActions<TWorkspaceRole>({
    change: (userId, next) => updateRole.mutateAsync({ workspaceId, userId, role: next }),
    remove: (userId) => remove.mutateAsync({ workspaceId, userId }),
    revoke: (invitationId) => revoke.mutateAsync({ workspaceId, invitationId }),
    refresh,
  });

  return (
    <section aria-labelledby="participants-heading">
      <div className="mb-3 flex items-baseline justify-between gap-4">
        <h2 id="participants-heading" className="text-base font-semibold text-slate-900">
          Participants
        </h2>
        {!manages ? <p className="text-sm text-slate-500">Only owners and admins manage participants.</p> : null}
      </div>
      {actions.error ? (
        <div className="mb-3">
          <Alert>{actions.error}</Alert>
        </div>
      ) : null}
      {participants.isPending ? (
        <p className="text-sm text-slate-500">Loading participants…</p>
      ) : participants.isError ? (
        <Alert>{errorMessage(participants.error)}</Alert>
      ) : participantRows.length === 0 ? (
        <EmptyState title="No participants yet">Organization owners act as owners of every workspace.</EmptyState>
      ) : (
        <RoleTable
          label="Participants"
          holders={participantRows}
          meId={me.data?.id}
          manages={manages}
          roles={grantable}
          mayChange={(r) => roleRank(r) <= roleRank(role)}
          changing={updateRole.isPending}
          removing={remove.isPending}
          onChangeRole={actions.changeRole}
          onRemove={actions.removeHolder}
          pending={rowsOf(invitations.data)}
          revoking={revoke.isPending}
          onRevoke={actions.revokeInvitation}
        />
      )}
      {participants.data ? <LoadMore query={participants} label="Load more participants" /> : null}
      {invitations.data ? <LoadMore query={invitations} label="Load more invitations" /> : null}
      {manages ? (
        <AddByEmail<TWorkspaceRole>
          title="Invite a participant"
          intro="They get an invitation to accept on their dashboard, and participate once they do; without an account yet, they can sign up with this email. Someone outside the organization joins it as a collaborator, who sees only the workspaces they are added to."
          idPrefix="participant"
          roles={grantable}
          initialRole={grantable.includes("launch") ? "launch" : (grantable.at(-1) ?? "view")}
          roleHint={(r) => (
            <>
              <span className="font-medium text-slate-700">{r}:</span> {ROLE_HINTS[r]}
            </>
          )}
          submitLabel="Invite participant"
          adding={add.isPending}
          onAdd={async (email, r) => {
            const invitation = await add.mutateAsync({ workspaceId, email, role: r });
            return `Invited ${invitation.email} as ${invitation.role}. They participate once they accept.`;
          }}
          onAdded={refresh}
        />
      ) : null}
    </section>
  );
}
