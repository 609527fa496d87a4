"use client";

import { AuditEvents } from "~/components/secrets/audit-events";

export function ActivityTab({ workspaceId }: { workspaceId: string }) {
  const exportHref = (action: string) => {
    const params = new URLSearchParams({ workspaceId });
    if (action) params.set("action", action);
    return `/api/audit/export?${params.toString()}`;
  };
  return (
    <section aria-labelledby="activity-heading">
      <h2 id="activity-heading" className="text-base font-semibold text-slate-900">
        Activity
      </h2>
      <p className="mb-4 mt-1 max-w-3xl text-sm text-slate-600">
        What happened in this workspace — secrets, runs, participants, credentials and settings: who, when, from which
        address and client. Secret values are never recorded.
      </p>
      <AuditEvents source={{ kind: "workspace", workspaceId }} exportHref={exportHref} />
    </section>
  );
}
