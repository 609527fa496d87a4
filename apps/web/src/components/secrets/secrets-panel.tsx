"use client";

import { useMemo, useState, type ReactNode } from "react";
import { Alert, Button } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { DataTable, RowActions } from "~/components/data-table";
import { LoadMore, rowsOf } from "~/components/paging";
import { formatDateTime, plural } from "./format";
import Link from "next/link";
import { SecretHistoryDialog } from "./history-dialog";
import { ImportDialog } from "./import-dialog";
import { AddSecretDialog, DeleteSecretDialog, OverwriteSecretDialog } from "./secret-dialogs";
import { useDebounced, useSecretList, type TSecretRow, type TSecretsTarget } from "./use-secrets";

type TOpen =
  | { kind: "add" }
  | { kind: "import" }
  | { kind: "overwrite"; secret: TSecretRow }
  | { kind: "delete"; secret: TSecretRow }
  | { kind: "history"; secret: TSecretRow }
  | null;

/**
 * The list of secrets (names and dates, never values) with the controls the caller may use:
 * `canWrite` false renders none of them; `canCreate` false keeps only Delete (for stray secrets
 * in a place where new ones are pointless, such as a personal workspace).
 */
export function SecretsPanel({
  target,
  canWrite,
  canCreate = canWrite,
  heading,
  intro,
  emptyState,
}: {
  target: TSecretsTarget;
  canWrite: boolean;
  canCreate?: boolean;
  heading: string;
  intro?: ReactNode;
  /** Shown when there are no secrets; `null` hides the whole panel then. */
  emptyState: ReactNode;
}) {
  const [query, setQuery] = useState("");
  // Searched on the server (every secret, not only the pages loaded), once typing pauses.
  const search = useDebounced(query.trim(), 250);
  const list = useSecretList(target, search);
  const [open, setOpen] = useState<TOpen>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const filtered = useMemo(() => rowsOf(list.data), [list.data]);
  // What the import dialog can warn about before sending; the server decides either way.
  const existingNames = useMemo(() => new Set(filtered.map((s) => s.name)), [filtered]);
  const headingId = `${target.scope}-secrets-heading`;
  const none = list.data !== undefined && filtered.length === 0 && search === "";
  // Nothing to list and nothing to say: the caller chose to show nothing at all.
  if (none && query === "" && emptyState === null && !open && !notice) return null;

  const done = (message: string) => {
    setOpen(null);
    setNotice(message);
  };
  const openDialog = (next: TOpen) => {
    setNotice(null);
    setOpen(next);
  };

  return (
    <section aria-labelledby={headingId}>
      <div className="mb-4 flex flex-wrap items-end justify-between gap-4">
        <div className="min-w-0">
          <h2 id={headingId} className="text-base font-semibold text-slate-900">
            {heading}
            {list.data && filtered.length > 0 && search === "" ? (
              <span className="ml-2 text-sm font-normal text-slate-500">
                {list.hasNextPage ? `first ${plural(filtered.length, "secret")}` : plural(filtered.length, "secret")}
              </span>
            ) : null}
          </h2>
          {intro ? <div className="mt-1 max-w-3xl text-sm text-slate-600">{intro}</div> : null}
        </div>
        {canCreate ? (
          <div className="flex shrink-0 items-center gap-2">
            <Button variant="secondary" onClick={() => openDialog({ kind: "import" })}>
              Import .env
            </Button>
            <Button onClick={() => openDialog({ kind: "add" })}>Add secret</Button>
          </div>
        ) : null}
      </div>

      {notice ? (
        <p
          role="status"
          className="mb-4 flex items-start justify-between gap-3 rounded-md bg-green-50 px-3 py-2 text-sm text-green-800 ring-1 ring-green-200"
        >
          <span>{notice}</span>
          <button
            type="button"
            onClick={() => setNotice(null)}
            className="text-green-700 hover:text-green-900"
            aria-label="Dismiss"
          >
            ×
          </button>
        </p>
      ) : null}

      {list.isPending ? (
        <p className="text-sm text-slate-500">Loading secrets…</p>
      ) : list.isError ? (
        <Alert>{errorMessage(list.error)}</Alert>
      ) : none && query === "" ? (
        emptyState
      ) : (
        <>
          <div className="mb-3 max-w-sm">
            <label htmlFor={`${headingId}-search`} className="sr-only">
              Search secrets by name
            </label>
            <div className="relative">
              <svg
                aria-hidden="true"
                viewBox="0 0 20 20"
                className="pointer-events-none absolute left-3 top-1/2 h-4 w-4 -translate-y-1/2 text-slate-400"
              >
                <path
                  fill="currentColor"
                  d="M8.5 3a5.5 5.5 0 0 1 4.4 8.8l3.4 3.5a1 1 0 0 1-1.4 1.4l-3.5-3.4A5.5 5.5 0 1 1 8.5 3zm0 2a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z"
                />
              </svg>
              <input
                id={`${headingId}-search`}
                type="search"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                placeholder="Search by name"
                autoComplete="off"
                spellCheck={false}
                className="block w-full rounded-md border-0 py-2 pl-9 pr-3 text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 placeholder:text-slate-400 focus:outline-hidden focus:ring-2 focus:ring-inset focus:ring-indigo-600"
              />
            </div>
          </div>
          <DataTable label={heading} columns={["Name", "Created", "Updated", "Last used"]} actions={canWrite}>
            {filtered.length === 0 ? (
              <tr>
                <td colSpan={canWrite ? 5 : 4} className="px-5 py-8 text-center text-slate-500">
                  {search === query.trim() ? <>No secret name contains “{query.trim()}”.</> : "Searching…"}
                </td>
              </tr>
            ) : (
              filtered.map((s) => (
                <tr key={s.id}>
                  <th
                    scope="row"
                    className="whitespace-nowrap px-5 py-3 text-left font-mono text-[13px] font-medium text-slate-900"
                  >
                    {s.name}
                    {s.valueProblem ? <ValueProblem problem={s.valueProblem} /> : null}
                  </th>
                  <When at={s.createdAt} by={s.createdBy} />
                  <When at={s.updatedAt} by={s.updatedBy}>
                    <button
                      type="button"
                      className="mt-0.5 block text-xs font-medium text-indigo-600 hover:text-indigo-500"
                      aria-label={`History of ${s.name} (version ${s.version})`}
                      onClick={() => openDialog({ kind: "history", secret: s })}
                    >
                      v{s.version} · history
                    </button>
                  </When>
                  <When at={s.lastUsedAt} by={s.lastUsedBy} never="Never used">
                    {s.lastUsedRun ? (
                      <Link
                        href={`/w/${s.lastUsedRun.workspaceId}/runs/${s.lastUsedRun.id}`}
                        className="block text-xs font-medium text-indigo-600 hover:text-indigo-500"
                      >
                        last used by run <span className="font-mono">{s.lastUsedRun.id.slice(0, 8)}</span>
                      </Link>
                    ) : null}
                  </When>
                  {canWrite ? (
                    <RowActions>
                      {canCreate ? (
                        <Button
                          variant="secondary"
                          className="px-3 py-1.5"
                          aria-label={`Overwrite ${s.name}`}
                          onClick={() => openDialog({ kind: "overwrite", secret: s })}
                        >
                          Overwrite
                        </Button>
                      ) : null}
                      <Button
                        variant="secondary"
                        className="px-3 py-1.5 text-red-700"
                        aria-label={`Delete ${s.name}`}
                        onClick={() => openDialog({ kind: "delete", secret: s })}
                      >
                        Delete
                      </Button>
                    </RowActions>
                  ) : null}
                </tr>
              ))
            )}
          </DataTable>
          <LoadMore query={list} label="Load more secrets" />
        </>
      )}

      {open?.kind === "add" ? <AddSecretDialog target={target} onClose={() => setOpen(null)} onSaved={done} /> : null}
      {open?.kind === "import" ? (
        <ImportDialog target={target} existingNames={existingNames} onClose={() => setOpen(null)} onImported={done} />
      ) : null}
      {open?.kind === "overwrite" ? (
        <OverwriteSecretDialog target={target} secret={open.secret} onClose={() => setOpen(null)} onSaved={done} />
      ) : null}
      {open?.kind === "history" ? (
        <SecretHistoryDialog target={target} secret={open.secret} onClose={() => setOpen(null)} />
      ) : null}
      {open?.kind === "delete" ? (
        <DeleteSecretDialog target={target} secret={open.secret} onClose={() => setOpen(null)} onDeleted={done} />
      ) : null}
    </section>
  );
}

/**
 * A stored value that breaks a value rule (found by the worker: a value sealed in a client is never
 * checked in plaintext before). Runs that send it are refused, so say which rule and what to do.
 */
function ValueProblem({ problem }: { problem: string }) {
  return (
    <span className="mt-1 block max-w-md whitespace-normal font-sans text-xs font-normal text-red-700">
      <span className="mr-1.5 inline-flex items-center rounded bg-red-50 px-1.5 py-0.5 font-medium ring-1 ring-inset ring-red-200">
        Invalid value
      </span>
      {problem} Runs that use it are refused until it is overwritten.
    </span>
  );
}

function When({
  at,
  by,
  never = "—",
  children,
}: {
  at: string | null;
  by: { name: string; email: string } | null;
  never?: string;
  children?: ReactNode;
}) {
  if (!at) return <td className="whitespace-nowrap px-5 py-3 text-slate-400">{never}</td>;
  return (
    <td className="whitespace-nowrap px-5 py-3">
      <time dateTime={at} className="text-slate-700">
        {formatDateTime(at)}
      </time>
      {by ? (
        <span className="block text-xs text-slate-500" title={by.email}>
          by {by.name}
        </span>
      ) : null}
      {children}
    </td>
  );
}

/** How pipelines use secrets: shown where there are none yet. */
export function SecretsHowTo({ title, children }: { title: string; children: ReactNode }) {
  return (
    <div className="rounded-xl border border-dashed border-slate-300 bg-white px-6 py-8">
      <div className="mx-auto max-w-2xl">
        <p className="text-center text-sm font-semibold text-slate-900">{title}</p>
        <div className="mt-2 space-y-3 text-sm text-slate-600">{children}</div>
        <pre className="mt-4 overflow-x-auto rounded-lg bg-slate-900 px-4 py-3 font-mono text-xs leading-relaxed text-slate-100">
          <code>
            {"process load_data {\n"}
            <span className="text-indigo-300">{"    secret 'DB_PASSWORD'\n"}</span>
            {'\n    script:\n    """\n    PGPASSWORD='}
            <span className="text-indigo-300">{'"\\$DB_PASSWORD"'}</span>
            {' psql -h db.example.org -U app -f load.sql\n    """\n}'}
          </code>
        </pre>
      </div>
    </div>
  );
}
