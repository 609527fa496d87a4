"use client";

import { useId, useMemo, useState, type ChangeEvent, type FormEvent } from "react";
import { parseDotenv } from "@lockstep/validators";
import { Alert, Button, Checkbox, Dialog, FileButton, Textarea, cn } from "@lockstep/ui";
import { formatBytes, plural } from "./format";
import { useSealer, useSecretWrites, writeErrorsOf, type TImportDetail, type TSecretsTarget } from "./use-secrets";

type TPreviewRow = {
  line: number;
  name: string | null;
  state: "new" | "overwrite" | "exists" | "error";
  message?: string;
};

const MAX_FILE_BYTES = 1024 * 1024;

/**
 * "Import .env": parsed and checked line by line in the browser, previewed (names only, never
 * values), sealed one value at a time, then sent as one all-or-nothing import.
 */
export function ImportDialog({
  target,
  existingNames,
  onClose,
  onImported,
}: {
  target: TSecretsTarget;
  existingNames: ReadonlySet<string>;
  onClose: () => void;
  onImported: (message: string) => void;
}) {
  const formId = useId();
  const textId = useId();
  const fileId = useId();
  const [text, setText] = useState("");
  const [fileName, setFileName] = useState<string | null>(null);
  const [overwrite, setOverwrite] = useState(false);
  const [serverDetails, setServerDetails] = useState<TImportDetail[]>([]);
  const [formError, setFormError] = useState<string | null>(null);
  const [progress, setProgress] = useState<string | null>(null);
  const seal = useSealer(target);
  const writes = useSecretWrites(target);

  const parsed = useMemo(() => parseDotenv(text), [text]);
  const rows = useMemo(() => {
    const byLine = new Map<number, TPreviewRow>();
    for (const e of parsed.entries) {
      const exists = existingNames.has(e.name);
      byLine.set(e.line, {
        line: e.line,
        name: e.name,
        state: exists ? (overwrite ? "overwrite" : "exists") : "new",
        message: exists && !overwrite ? `${e.name} already exists; tick “Overwrite existing” to replace it` : undefined,
      });
    }
    for (const e of parsed.errors)
      byLine.set(e.line, { line: e.line, name: e.name ?? null, state: "error", message: e.message });
    // The server has the last word (e.g. a name created by someone else meanwhile).
    for (const d of serverDetails) {
      const line = d.line ?? 0;
      byLine.set(line, { line, name: d.name ?? byLine.get(line)?.name ?? null, state: "error", message: d.message });
    }
    return [...byLine.values()].sort((a, b) => a.line - b.line);
  }, [parsed, existingNames, overwrite, serverDetails]);

  const count = parsed.entries.length;
  // One count for the summary and the button: a line is either ready (new, or overwriting when
  // asked to) or to fix; the import sends all of them or none.
  const ready = rows.filter((r) => r.state === "new" || r.state === "overwrite").length;
  const problems = rows.length - ready;
  const busy = progress !== null;

  function edit(next: string, name: string | null) {
    setText(next);
    setFileName(name);
    setServerDetails([]);
    setFormError(null);
  }

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setFormError(
        `${file.name} is ${formatBytes(file.size)}; a .env file to import can be at most ${formatBytes(MAX_FILE_BYTES)}.`,
      );
      return;
    }
    edit(await file.text(), file.name);
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (count === 0 || problems > 0 || busy) return;
    setFormError(null);
    setServerDetails([]);
    try {
      const sealed: Array<{ line: number; name: string; sealed: string }> = [];
      for (const [i, entry] of parsed.entries.entries()) {
        setProgress(`Encrypting ${i + 1} of ${count}…`);
        sealed.push({ line: entry.line, name: entry.name, sealed: await seal(entry.name, entry.value) });
      }
      setProgress("Importing…");
      const result = await writes.importEntries(sealed, overwrite);
      await writes.refresh();
      const parts = [
        result.created ? `${result.created} new` : null,
        result.overwritten ? `${result.overwritten} overwritten` : null,
      ].filter(Boolean);
      onImported(`Imported ${plural(count, "secret")} (${parts.join(", ")}).`);
    } catch (error) {
      const errs = writeErrorsOf(error);
      setServerDetails(errs.details ?? []);
      setFormError(errs.form ?? errs.name ?? errs.value ?? null);
      setProgress(null);
    }
  }

  return (
    <Dialog
      title="Import .env"
      description="Paste NAME=value lines or upload a .env file. Every line is checked here before anything is sent; values are encrypted in your browser, and the import writes all lines or none."
      onClose={onClose}
      size="lg"
      footer={
        <>
          {progress ? (
            <span role="status" className="mr-auto text-sm text-slate-600">
              {progress}
            </span>
          ) : null}
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form={formId} disabled={count === 0 || problems > 0 || busy}>
            {problems > 0 ? `Fix ${plural(problems, "line")} to import` : `Import ${plural(ready, "secret")}`}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={(e) => void onSubmit(e)} noValidate className="space-y-4">
        <Textarea
          id={textId}
          label=".env contents"
          value={text}
          onChange={(e) => edit(e.target.value, null)}
          readOnly={busy}
          rows={5}
          secret
          placeholder={"# comments and blank lines are skipped\nDB_PASSWORD=…\nexport API_TOKEN='…'"}
          hint={
            fileName
              ? `Loaded from ${fileName}.`
              : "One NAME=value per line; values may be quoted. Multi-line values must be base64-encoded first."
          }
        />
        <div className="flex flex-wrap items-center justify-between gap-3">
          <div className="flex items-center gap-3">
            <FileButton id={fileId} accept=".env,text/plain" onFile={(e) => void onFile(e)}>
              Upload a .env file
            </FileButton>
          </div>
          <Checkbox
            id={`${formId}-overwrite`}
            label="Overwrite existing"
            checked={overwrite}
            onChange={(e) => {
              setOverwrite(e.target.checked);
              setServerDetails([]);
            }}
          />
        </div>

        {rows.length > 0 ? (
          <div>
            <p className="mb-2 text-sm text-slate-600" aria-live="polite">
              {plural(ready, "secret")} ready
              {problems > 0 ? (
                <>
                  , <span className="font-medium text-red-700">{plural(problems, "line")} to fix</span> before importing
                </>
              ) : null}
              .
            </p>
            <div className="max-h-64 overflow-y-auto rounded-md ring-1 ring-slate-200">
              <table className="min-w-full table-fixed divide-y divide-slate-200 text-sm" aria-label="Import preview">
                <thead className="sticky top-0 bg-slate-50">
                  <tr>
                    <th
                      scope="col"
                      className="w-16 px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                    >
                      Line
                    </th>
                    <th
                      scope="col"
                      className="w-1/3 px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                    >
                      Name
                    </th>
                    <th
                      scope="col"
                      className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                    >
                      Check
                    </th>
                  </tr>
                </thead>
                <tbody className="divide-y divide-slate-100 bg-white">
                  {rows.map((r) => (
                    <tr
                      key={r.line}
                      className={r.state === "error" || r.state === "exists" ? "bg-red-50/60" : undefined}
                    >
                      <td className="px-3 py-2 tabular-nums text-slate-500">{r.line}</td>
                      <td className="truncate px-3 py-2 font-mono text-slate-900" title={r.name ?? undefined}>
                        {r.name ?? <span className="font-sans text-slate-400">—</span>}
                      </td>
                      <td
                        className={cn(
                          "px-3 py-2",
                          r.state === "error" || r.state === "exists"
                            ? "text-red-700"
                            : r.state === "overwrite"
                              ? "text-amber-800"
                              : "text-green-700",
                        )}
                      >
                        {r.state === "new" ? (
                          <>
                            <span aria-hidden="true">✓ </span>new
                          </>
                        ) : r.state === "overwrite" ? (
                          <>
                            <span aria-hidden="true">✓ </span>overwrites the existing value
                          </>
                        ) : (
                          <>
                            <span aria-hidden="true">✗ </span>
                            <span className="sr-only">Error: </span>
                            {r.message}
                          </>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </div>
        ) : text.trim() !== "" ? (
          <p className="text-sm text-slate-500">No NAME=value lines yet (comments and blank lines are skipped).</p>
        ) : null}
        {formError ? <Alert>{formError}</Alert> : null}
      </form>
    </Dialog>
  );
}
