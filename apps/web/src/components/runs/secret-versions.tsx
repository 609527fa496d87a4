"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useId, useState } from "react";
import { Alert, Card } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { useTRPC } from "~/trpc/react";
import { plural } from "./format";

/** "DB_PASSWORD (now v3), API_TOKEN (deleted)" */
function changedList(rows: Array<{ name: string; version: number; currentVersion: number | null; changed: boolean }>) {
  return rows
    .filter((r) => r.changed)
    .map((r) => `${r.name} (${r.currentVersion === null ? "deleted since" : `v${r.version} → v${r.currentVersion}`})`)
    .join(", ");
}

/**
 * The versions of its secrets the run received, which changed since, and — against another run of
 * the workspace — which had the same value. Only equality answers come back: the keyed
 * fingerprints they are computed from never leave the server.
 */
export function RunSecretVersions({ workspaceId, runId }: { workspaceId: string; runId: string }) {
  const trpc = useTRPC();
  const inputId = useId();
  const [other, setOther] = useState("");
  const sameAs = /^[0-9a-f-]{36}$/i.test(other.trim()) ? other.trim() : undefined;
  const versions = useQuery(trpc.runs.secretVersions.queryOptions({ workspaceId, runId, sameAs }, { retry: false }));
  if (versions.isPending) return null;
  if (versions.isError) return <Alert>{errorMessage(versions.error)}</Alert>;
  const v = versions.data;
  if (v.secrets.length === 0 && v.personal.count === 0) return null;
  return (
    <Card className="mt-6 p-6">
      <h2 className="text-base font-semibold text-slate-900">Secret versions</h2>
      {!v.recorded ? (
        <p className="mt-2 text-sm text-slate-600">
          Not recorded: the run was provisioned before versions were kept, or has not been provisioned yet.
        </p>
      ) : (
        <div className="mt-3 space-y-3 text-sm text-slate-600">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Secret versions the run received">
            <thead>
              <tr>
                <th
                  scope="col"
                  className="py-1 pr-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                >
                  Secret
                </th>
                <th
                  scope="col"
                  className="py-1 pr-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                >
                  Received
                </th>
                <th
                  scope="col"
                  className="py-1 pr-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                >
                  Now
                </th>
                {v.comparedWith ? (
                  <th
                    scope="col"
                    className="py-1 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                  >
                    Same value as run {v.comparedWith.slice(0, 8)}?
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {v.secrets.map((s) => (
                <tr key={`${s.source}:${s.name}`}>
                  <th scope="row" className="py-1.5 pr-3 text-left font-mono text-[13px] font-medium text-slate-900">
                    {s.name}
                    {s.source === "user" ? (
                      <span className="ml-1 font-sans text-xs font-normal text-slate-500">(yours)</span>
                    ) : null}
                  </th>
                  <td className="py-1.5 pr-3">v{s.version}</td>
                  <td className={`py-1.5 pr-3 ${s.changed ? "text-amber-700" : ""}`}>
                    {s.currentVersion === null ? "deleted" : s.changed ? `v${s.currentVersion} (changed)` : "unchanged"}
                  </td>
                  {v.comparedWith ? (
                    <td className="py-1.5">
                      {s.sameValue === null ? "cannot tell" : s.sameValue ? "same" : "different"}
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
          {v.personal.count > 0 ? (
            <p>
              And {plural(v.personal.count, "personal secret")} of the launcher
              {v.personal.changed > 0 ? `, ${v.personal.changed} changed since` : ""}.
            </p>
          ) : null}
          <div>
            <label htmlFor={inputId} className="block text-xs font-medium text-slate-700">
              Compare with another run of this workspace (its id)
            </label>
            <input
              id={inputId}
              value={other}
              onChange={(e) => setOther(e.target.value)}
              placeholder="run id"
              spellCheck={false}
              autoComplete="off"
              className="mt-1 block w-full max-w-md rounded-md border-0 px-3 py-1.5 font-mono text-xs text-slate-900 ring-1 ring-inset ring-slate-300 focus:ring-2 focus:ring-indigo-600"
            />
          </div>
        </div>
      )}
    </Card>
  );
}

/** On the launch form for a relaunch: which secrets changed since the original run (by version), named. */
export function RelaunchWarning({ workspaceId, runId }: { workspaceId: string; runId: string }) {
  const trpc = useTRPC();
  const versions = useQuery(trpc.runs.secretVersions.queryOptions({ workspaceId, runId }, { retry: false }));
  const link = (
    <Link href={`/w/${workspaceId}/runs/${runId}`} className="font-mono font-medium underline underline-offset-2">
      {runId.slice(0, 8)}
    </Link>
  );
  if (versions.isPending) return null;
  if (versions.isError)
    return (
      <Alert tone="amber">
        Could not check the secrets of run {runId.slice(0, 8)}: {errorMessage(versions.error)}
      </Alert>
    );
  const v = versions.data;
  const changed = changedList(v.secrets);
  if (!v.recorded) {
    return (
      <Alert tone="amber">
        Relaunching run {link}: it recorded no secret versions, so Lockstep cannot tell whether its secrets changed
        since.
      </Alert>
    );
  }
  if (!changed && v.personal.changed === 0) {
    return (
      <p role="status" className="rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700 ring-1 ring-slate-200">
        Relaunching run {link}: no secret it received has changed since.
      </p>
    );
  }
  return (
    <div
      role="alert"
      data-testid="relaunch-warning"
      className="rounded-md bg-amber-50 px-4 py-3 text-sm text-amber-900 ring-1 ring-amber-200"
    >
      <p className="font-semibold">Secrets changed since run {link}</p>
      <p className="mt-1">
        {changed ? <>{changed}. </> : null}
        {v.personal.changed > 0 ? (
          <>{plural(v.personal.changed, "personal secret")} of its launcher changed too. </>
        ) : null}
        This run will get the current values, not the ones the original run had.
      </p>
    </div>
  );
}
