"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { can } from "@lockstep/auth/permissions";
import { Badge, Button, Card, EmptyState, Field, PageHeader } from "@lockstep/ui";
import { fieldErrorsOf } from "~/components/errors";
import { PendingInvitations } from "~/components/invitations/pending-invitations";
import { useTRPC } from "~/trpc/react";

export function Dashboard() {
  const trpc = useTRPC();
  const workspaces = useQuery(trpc.workspaces.list.queryOptions());
  const orgs = useQuery(trpc.orgs.list.queryOptions());
  return (
    <>
      <PageHeader title="Workspaces" description="Your personal workspace and the workspaces of your organizations." />
      <PendingInvitations />
      {workspaces.isPending ? (
        <p className="text-sm text-slate-500">Loading workspaces…</p>
      ) : workspaces.data?.length ? (
        <ul
          className="divide-y divide-slate-200 overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
          aria-label="Workspaces"
        >
          {workspaces.data.map((ws) => (
            <li key={ws.id} className="flex items-center gap-3 pr-5 hover:bg-slate-50">
              <Link href={`/w/${ws.id}`} className="flex min-w-0 flex-1 items-center justify-between gap-3 py-4 pl-5">
                <div className="min-w-0">
                  <p className="truncate text-sm font-semibold text-slate-900" title={ws.name}>
                    {ws.name}
                  </p>
                  <p
                    className="truncate text-xs text-slate-500"
                    title={ws.personal ? undefined : `${ws.orgName ?? ""} · ${ws.visibility}`}
                  >
                    {ws.personal ? "Personal workspace" : `${ws.orgName} · ${ws.visibility}`}
                  </p>
                </div>
                <Badge tone={ws.personal ? "indigo" : "slate"}>{ws.role}</Badge>
              </Link>
              {can(ws.role, "runs:launch") ? (
                <Link
                  href={`/w/${ws.id}/launch`}
                  title={`Launch a pipeline in ${ws.name}`}
                  className="shrink-0 rounded-md px-2.5 py-1.5 text-sm font-medium text-indigo-600 ring-1 ring-inset ring-indigo-200 hover:bg-indigo-50"
                >
                  Launch
                </Link>
              ) : null}
            </li>
          ))}
        </ul>
      ) : (
        <EmptyState title="No workspaces yet" />
      )}

      <div className="mt-10 grid grid-cols-1 gap-6 lg:grid-cols-2">
        <Card>
          <h2 className="text-base font-semibold text-slate-900">Organizations</h2>
          {orgs.data?.length ? (
            <ul className="mt-4 space-y-2" aria-label="Organizations">
              {orgs.data.map((org) => (
                <li key={org.id} className="flex items-center justify-between gap-3">
                  <Link
                    href={`/orgs/${org.id}`}
                    title={org.name}
                    className="min-w-0 truncate text-sm font-medium text-indigo-600 hover:text-indigo-500"
                  >
                    {org.name}
                  </Link>
                  <Badge>{org.role}</Badge>
                </li>
              ))}
            </ul>
          ) : (
            <p className="mt-2 text-sm text-slate-500">
              You are not in any organization yet. Create one to share workspaces with your team.
            </p>
          )}
        </Card>
        <CreateOrg />
      </div>
    </>
  );
}

function CreateOrg() {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation(trpc.orgs.create.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setErrors({});
    try {
      const org = await create.mutateAsync({
        name: String(data.get("name") ?? ""),
        description: String(data.get("description") ?? ""),
      });
      await queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() });
      router.push(`/orgs/${org.id}`);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card>
      <h2 id="new-org" className="text-base font-semibold text-slate-900">
        New organization
      </h2>
      <form className="mt-4 space-y-4" onSubmit={(e) => void onSubmit(e)} noValidate aria-label="New organization">
        <Field id="org-name" name="name" label="Organization name" required error={errors.name ?? errors.slug} />
        <Field id="org-description" name="description" label="Description (optional)" error={errors.description} />
        {errors.form ? (
          <p className="text-sm text-red-600" role="alert">
            {errors.form}
          </p>
        ) : null}
        <Button type="submit" disabled={create.isPending}>
          {create.isPending ? "Creating…" : "Create organization"}
        </Button>
      </form>
    </Card>
  );
}
