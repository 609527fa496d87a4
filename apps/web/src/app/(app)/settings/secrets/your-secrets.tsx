"use client";

import { PageHeader } from "@lockstep/ui";
import { AuditEvents } from "~/components/secrets/audit-events";
import { SecretsHowTo, SecretsPanel } from "~/components/secrets/secrets-panel";

export function YourSecrets() {
  return (
    <>
      <PageHeader
        title="Your secrets"
        description="Personal pipeline secrets, delivered to the runs you launch from your organizations' workspaces."
      />
      <div className="space-y-10">
        <div role="note" className="rounded-xl bg-indigo-50 px-5 py-4 text-sm text-indigo-950 ring-1 ring-indigo-200">
          <p>
            <span className="font-semibold">Your secrets win.</span> In a run you launch, a user secret overrides a
            workspace secret of the same name — for your own credentials, or to test with a different value.
          </p>
          <p className="mt-1">
            <span className="font-semibold">Nobody else can see them</span>, not even their names. Runs launched from a
            personal workspace get no secrets at all.
          </p>
        </div>
        <SecretsPanel
          target={{ scope: "user" }}
          canWrite
          heading="User secrets"
          intro="Write-only: a value is never shown again once saved — it can only be overwritten or deleted."
          emptyState={
            <SecretsHowTo title="No user secrets yet">
              <p>
                Add a secret here to have it in every run you launch, overriding a workspace secret of the same name.
                Like workspace secrets, a value is never shown again once saved.
              </p>
              <p>
                A process asks for one with the{" "}
                <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-800">
                  secret &apos;NAME&apos;
                </code>{" "}
                directive and reads it as the environment variable{" "}
                <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-800">$NAME</code>:
              </p>
            </SecretsHowTo>
          }
        />
        <section aria-labelledby="your-activity-heading">
          <h2 id="your-activity-heading" className="text-base font-semibold text-slate-900">
            Your activity
          </h2>
          <p className="mb-4 mt-1 text-sm text-slate-600">
            Changes to your user secrets, newest first. Values are never recorded.
          </p>
          <AuditEvents source={{ kind: "mine" }} />
        </section>
      </div>
    </>
  );
}
