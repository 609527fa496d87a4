"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { can, type TWorkspaceRole } from "@lockstep/auth/permissions";
import { Field, SelectField } from "@lockstep/ui";
import { DangerZone, GeneralSettingsCard } from "~/components/settings-forms";
import { WebhooksSettings } from "~/components/webhooks/webhooks-settings";
import { useTRPC } from "~/trpc/react";

type TWorkspace = {
  id: string;
  name: string;
  description: string;
  visibility: "private" | "shared";
  personal: boolean;
  orgId: string | null;
  role: TWorkspaceRole;
};

export function SettingsTab({ workspace }: { workspace: TWorkspace }) {
  return (
    <div className="space-y-8">
      <General workspace={workspace} />
      {can(workspace.role, "workspace:settings") ? <WebhooksSettings workspaceId={workspace.id} /> : null}
      {workspace.personal ? (
        <p className="text-sm text-slate-500">A personal workspace stays private and cannot be deleted.</p>
      ) : can(workspace.role, "workspace:delete") ? (
        <DeleteWorkspace workspace={workspace} />
      ) : null}
    </div>
  );
}

function General({ workspace }: { workspace: TWorkspace }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const update = useMutation(trpc.workspaces.update.mutationOptions());

  return (
    <GeneralSettingsCard
      label="Workspace settings"
      saving={update.isPending}
      onSave={async (data) => {
        await update.mutateAsync({
          workspaceId: workspace.id,
          name: String(data.get("name") ?? ""),
          description: String(data.get("description") ?? ""),
          // A personal workspace stays private: the server refuses any visibility for it.
          ...(workspace.personal
            ? {}
            : { visibility: data.get("visibility") === "shared" ? ("shared" as const) : ("private" as const) }),
        });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.workspaces.get.queryKey({ workspaceId: workspace.id }) }),
          queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() }),
        ]);
      }}
    >
      {(errors) => (
        <>
          <Field
            id="ws-name"
            name="name"
            label="Workspace name"
            defaultValue={workspace.name}
            required
            error={errors.name}
          />
          <Field
            id="ws-description"
            name="description"
            label="Description"
            defaultValue={workspace.description}
            error={errors.description}
          />
          {workspace.personal ? null : (
            <SelectField
              id="ws-visibility"
              name="visibility"
              label="Visibility"
              defaultValue={workspace.visibility}
              selectClassName="h-9"
              error={errors.visibility}
              hint="Private: only its participants see it. Shared: every organization member can view it. Collaborators see a workspace only when they are added to it."
            >
              <option value="private">Private</option>
              <option value="shared">Shared</option>
            </SelectField>
          )}
        </>
      )}
    </GeneralSettingsCard>
  );
}

function DeleteWorkspace({ workspace }: { workspace: TWorkspace }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const del = useMutation(trpc.workspaces.delete.mutationOptions());

  return (
    <DangerZone
      what="workspace"
      name={workspace.name}
      inputId="delete-ws-confirm"
      deleting={del.isPending}
      onDelete={async () => {
        await del.mutateAsync({ workspaceId: workspace.id });
        await queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() });
        router.push(workspace.orgId ? `/orgs/${workspace.orgId}` : "/dashboard");
      }}
    >
      Deleting the workspace deletes its secrets, pipelines and compute environments and removes every participant. It
      cannot be undone.
    </DangerZone>
  );
}
