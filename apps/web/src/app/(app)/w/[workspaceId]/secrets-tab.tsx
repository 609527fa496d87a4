"use client";

import Link from "next/link";
import { can, type TWorkspaceRole } from "@lockstep/auth/permissions";
import { SecretsHowTo, SecretsPanel } from "~/components/secrets/secrets-panel";

export function SecretsTab({
  workspaceId,
  role,
  personal,
}: {
  workspaceId: string;
  role: TWorkspaceRole;
  personal: boolean;
}) {
  const canWrite = can(role, "secrets:write");
  const target = { scope: "workspace" as const, workspaceId };

  if (personal) {
    return (
      <div className="space-y-6">
        <div role="note" className="rounded-xl bg-amber-50 px-5 py-4 text-sm text-amber-900 ring-1 ring-amber-200">
          <p className="font-semibold">Runs launched from a personal workspace get no secrets.</p>
          <p className="mt-1">
            Pipeline secrets — workspace secrets and your own user secrets — are delivered only to runs launched from an
            organization workspace, so there is nothing to add here. Keep values you use yourself in{" "}
            <Link
              href="/settings/secrets"
              className="font-semibold text-amber-950 underline underline-offset-2 hover:text-amber-700"
            >
              Your secrets
            </Link>
            : they reach the runs you launch from your organizations&apos; workspaces.
          </p>
        </div>
        {/* Secrets stored here before (e.g. through the API) can still be listed and removed. */}
        <SecretsPanel
          target={target}
          canWrite={canWrite}
          canCreate={false}
          heading="Secrets"
          intro="Stored here earlier; runs launched from this workspace do not get them. Delete them, and keep the values in Your secrets instead."
          emptyState={null}
        />
      </div>
    );
  }

  return (
    <SecretsPanel
      target={target}
      canWrite={canWrite}
      heading="Secrets"
      intro={
        <>
          Write-only: a value is never shown again once saved — it can only be overwritten or deleted. Runs launched
          here get these secrets; where the launching user has one of the same name in{" "}
          <Link href="/settings/secrets" className="font-medium text-indigo-600 hover:text-indigo-500">
            Your secrets
          </Link>
          , theirs wins.
          {canWrite ? null : " Only owners, admins and maintainers change them."}
        </>
      }
      emptyState={
        <SecretsHowTo title="No secrets yet">
          <p>
            Secrets hold passwords, API tokens and keys that pipeline tasks need. They are{" "}
            <strong className="font-semibold text-slate-800">write-only</strong>: once saved, a value is never shown
            again, to anyone — you can only overwrite or delete it.
          </p>
          <p>
            When a run is launched, its secrets are pushed to the compute environment&apos;s secret store and deleted
            when the run ends. A process asks for one with the{" "}
            <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-800">secret &apos;NAME&apos;</code>{" "}
            directive and reads it as the environment variable{" "}
            <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-800">$NAME</code>:
          </p>
          {canWrite ? null : <p>Owners, admins and maintainers of this workspace can add secrets.</p>}
        </SecretsHowTo>
      }
    />
  );
}
