"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { can, type TWorkspaceRole } from "@lockstep/auth/permissions";
import { Alert, Button, Card, Field, Select } from "@lockstep/ui";
import { errorMessage, fieldErrorsOf } from "~/components/errors";
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
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);
  const update = useMutation(trpc.workspaces.update.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setErrors({});
    setSaved(false);
    try {
      await update.mutateAsync({
        workspaceId: workspace.id,
        name: String(data.get("name") ?? ""),
        description: String(data.get("description") ?? ""),
        // A personal workspace stays private: the server refuses any visibility for it.
        ...(workspace.personal ? {} : { visibility: data.get("visibility") === "shared" ? ("shared" as const) : ("private" as const) }),
      });
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: trpc.workspaces.get.queryKey({ workspaceId: workspace.id }) }),
        queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() }),
      ]);
      setSaved(true);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">General</h2>
      <form className="mt-4 max-w-xl space-y-4" onSubmit={onSubmit} noValidate aria-label="Workspace settings">
        <Field id="ws-name" name="name" label="Workspace name" defaultValue={workspace.name} required maxLength={100} error={errors.name} />
        <Field id="ws-description" name="description" label="Description" defaultValue={workspace.description} maxLength={1000} error={errors.description} />
        {workspace.personal ? null : (
          <div>
            <label htmlFor="ws-visibility" className="block text-sm font-medium text-slate-900">
              Visibility
            </label>
            <Select id="ws-visibility" name="visibility" defaultValue={workspace.visibility} className="mt-1.5 h-9 w-full" aria-describedby="ws-visibility-hint">
              <option value="private">Private — participants only</option>
              <option value="shared">Shared — every organization member can view</option>
            </Select>
            <p id="ws-visibility-hint" className="mt-1.5 text-sm text-slate-500">
              {errors.visibility ?? "Collaborators see a workspace only when they are added to it, whatever its visibility."}
            </p>
          </div>
        )}
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        {saved ? <Alert tone="green">Saved.</Alert> : null}
        <Button type="submit" disabled={update.isPending}>
          {update.isPending ? "Saving…" : "Save changes"}
        </Button>
      </form>
    </Card>
  );
}

function DeleteWorkspace({ workspace }: { workspace: TWorkspace }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);
  const del = useMutation(trpc.workspaces.delete.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (typed !== workspace.name) return;
    setError(null);
    try {
      await del.mutateAsync({ workspaceId: workspace.id });
      await queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() });
      router.push(workspace.orgId ? `/orgs/${workspace.orgId}` : "/dashboard");
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
        Deleting the workspace deletes its secrets, pipelines and compute environments and removes every participant. It cannot be undone.
      </p>
      <form className="mt-4 max-w-xl space-y-4" onSubmit={onSubmit} noValidate aria-label="Delete workspace">
        <p className="text-sm text-slate-700">
          To confirm, type <strong className="font-semibold text-slate-900">{workspace.name}</strong> below.
        </p>
        <Field
          id="delete-ws-confirm"
          label="Name of the workspace to delete"
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        {error ? <Alert>{error}</Alert> : null}
        <Button type="submit" variant="danger" disabled={typed !== workspace.name || del.isPending}>
          {del.isPending ? "Deleting…" : "Delete workspace"}
        </Button>
      </form>
    </section>
  );
}
