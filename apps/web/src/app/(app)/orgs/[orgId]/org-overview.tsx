"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { orgCan } from "@lockstep/auth/permissions";
import { Alert, Badge, Button, Card, EmptyState, Field, SelectField } from "@lockstep/ui";
import { errorMessage, fieldErrorsOf } from "~/components/errors";
import { useTRPC } from "~/trpc/react";

export function OrgOverview({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  // An org the caller cannot see is NOT_FOUND (a malformed id BAD_REQUEST): retrying cannot help.
  const org = useQuery(trpc.orgs.get.queryOptions({ orgId }, { retry: false }));
  const workspaces = useQuery(trpc.workspaces.list.queryOptions({ orgId }, { enabled: org.isSuccess }));

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
      <div className="mb-6 flex flex-wrap items-start justify-between gap-4">
        <div className="min-w-0">
          <p className="text-sm text-slate-500">Organization</p>
          <div className="mt-1 flex flex-wrap items-center gap-3">
            <h1 className="text-2xl font-semibold tracking-tight text-slate-900">{org.data.name}</h1>
            <Badge tone={role === "owner" ? "indigo" : "slate"}>
              <span className="sr-only">Your role: </span>
              {role}
            </Badge>
          </div>
          <p className={`mt-1 text-sm ${org.data.description ? "text-slate-600" : "text-slate-500"}`}>
            {org.data.description || "No description."}
          </p>
        </div>
        {manages ? (
          <LinkButton href={`/orgs/${orgId}/settings`}>Settings</LinkButton>
        ) : orgCan(role, "org:members:list") ? (
          <LinkButton href={`/orgs/${orgId}/settings`}>Members</LinkButton>
        ) : null}
      </div>

      <div className={manages ? "grid items-start gap-6 lg:grid-cols-3" : undefined}>
        <section aria-labelledby="org-workspaces" className="lg:col-span-2">
          <h2 id="org-workspaces" className="mb-3 text-base font-semibold text-slate-900">
            Workspaces
          </h2>
          {workspaces.isPending ? (
            <p className="text-sm text-slate-500">Loading workspaces…</p>
          ) : workspaces.isError ? (
            <Alert>{errorMessage(workspaces.error)}</Alert>
          ) : workspaces.data.length ? (
            <ul
              className="divide-y divide-slate-200 overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
              aria-label="Workspaces"
            >
              {workspaces.data.map((ws) => (
                <li key={ws.id}>
                  <Link
                    href={`/w/${ws.id}`}
                    className="flex items-center justify-between gap-4 px-5 py-4 hover:bg-slate-50"
                  >
                    <div className="min-w-0">
                      <p className="truncate text-sm font-semibold text-slate-900">{ws.name}</p>
                      <p className="truncate text-xs text-slate-500">
                        {ws.description || (ws.visibility === "shared" ? "Shared with the organization" : "Private")}
                      </p>
                    </div>
                    <div className="flex shrink-0 items-center gap-2">
                      <Badge tone={ws.visibility === "shared" ? "green" : "slate"}>{ws.visibility}</Badge>
                      <Badge tone="indigo">
                        <span className="sr-only">Your role: </span>
                        {ws.role}
                      </Badge>
                    </div>
                  </Link>
                </li>
              ))}
            </ul>
          ) : (
            <EmptyState title="No workspaces yet">
              {manages
                ? "Create the first workspace of this organization with the form beside this list."
                : "Workspaces you are added to appear here."}
            </EmptyState>
          )}
        </section>
        {manages ? <NewWorkspace orgId={orgId} /> : null}
      </div>
    </>
  );
}

function LinkButton({ href, children }: { href: string; children: string }) {
  return (
    <Link
      href={href}
      className="inline-flex items-center rounded-md bg-white px-3.5 py-2 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50"
    >
      {children}
    </Link>
  );
}

function NewWorkspace({ orgId }: { orgId: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation(trpc.workspaces.create.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setErrors({});
    try {
      const ws = await create.mutateAsync({
        orgId,
        name: String(data.get("name") ?? ""),
        description: String(data.get("description") ?? ""),
        visibility: data.get("visibility") === "shared" ? "shared" : "private",
      });
      await queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() });
      router.push(`/w/${ws.id}`);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">New workspace</h2>
      <form className="mt-4 space-y-4" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="New workspace">
        <Field id="ws-name" name="name" label="Workspace name" required error={errors.name ?? errors.slug} />
        <Field id="ws-description" name="description" label="Description (optional)" error={errors.description} />
        <SelectField
          id="ws-visibility"
          name="visibility"
          label="Visibility"
          defaultValue="private"
          selectClassName="h-9"
          error={errors.visibility}
          hint="Private: only its participants see it. Shared: every organization member can view it. Collaborators see a workspace only when they are added to it."
        >
          <option value="private">Private</option>
          <option value="shared">Shared</option>
        </SelectField>
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create workspace"}
        </Button>
      </form>
    </Card>
  );
}
