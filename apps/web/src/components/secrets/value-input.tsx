"use client";

import { useId, useMemo, useState, type ChangeEvent } from "react";
import { SECRET_VALUE_MAX_BYTES, secretValueProblem } from "@lockstep/validators";
import { Checkbox, FileButton, Textarea, cn } from "@lockstep/ui";
import { bytesToBase64, formatBytes, utf8Bytes, utf8ToBase64 } from "./format";

/** What the user has entered for a value: typed text (optionally to be base64-encoded) or a file. */
export type TValueState = {
  text: string;
  base64: boolean;
  file: { name: string; size: number; encoded: string } | null;
  fileError: string | null;
};

export const emptyValue: TValueState = { text: "", base64: false, file: null, fileError: null };

/** The largest file whose base64 encoding still fits in a secret (3 bytes → 4 characters). */
const MAX_FILE_BYTES = Math.floor(SECRET_VALUE_MAX_BYTES / 4) * 3;

/** The exact string that will be sealed and stored. */
export function storedValue(v: TValueState): string {
  if (v.file) return v.file.encoded;
  return v.base64 ? utf8ToBase64(v.text) : v.text;
}

/** Why the value cannot be saved as it stands, or null. Never quotes the value. */
export function valueProblem(v: TValueState): string | null {
  if (!v.file && v.text === "") return "Enter a value, or upload a file.";
  const problem = secretValueProblem(storedValue(v));
  if (!problem) return null;
  return v.file
    ? `The file's base64 encoding ${problem}.`
    : v.base64
      ? `Encoded as base64, the value ${problem}.`
      : `The value ${problem}.`;
}

/** The first reason typed text needs base64, in words, when it has one. */
function undeliverable(text: string): string | null {
  const problem = text === "" ? null : secretValueProblem(text);
  if (!problem?.startsWith("contains ")) return null;
  return problem.slice("contains ".length).split(",")[0] ?? null;
}

/**
 * The value of a secret: a textarea, "Encode as base64" and "Upload a file". Checks as the user
 * types: size against 64 KiB, and characters Nextflow cannot deliver to a task, for which it
 * offers base64 and says why.
 */
export function ValueInput({
  label,
  secretName,
  value,
  onChange,
  showErrors,
  serverError,
}: {
  label: string;
  secretName: string;
  value: TValueState;
  onChange: (next: TValueState) => void;
  showErrors: boolean;
  serverError?: string;
}) {
  const id = useId();
  const textId = `${id}-text`;
  const fileId = `${id}-file`;
  const [reading, setReading] = useState(false);
  const stored = useMemo(() => storedValue(value), [value]);
  const bytes = utf8Bytes(stored);
  const problem = valueProblem(value);
  const needsBase64 = !value.file && !value.base64 ? undeliverable(value.text) : null;
  // Problems with typed text are worth saying at once; "empty" only after a submit attempt.
  const shownError = serverError ?? ((value.text !== "" || showErrors) && problem ? problem : undefined);
  const envName = secretName || "NAME";

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    if (file.size === 0) {
      onChange({ ...value, file: null, fileError: `${file.name} is empty; a secret needs at least one byte.` });
      return;
    }
    if (file.size > MAX_FILE_BYTES) {
      onChange({
        ...value,
        file: null,
        fileError: `${file.name} is ${formatBytes(file.size)}; a file can be at most ${formatBytes(MAX_FILE_BYTES)}, so that its base64 encoding fits the 64 KiB limit.`,
      });
      return;
    }
    setReading(true);
    try {
      const encoded = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
      onChange({ ...value, file: { name: file.name, size: file.size, encoded }, fileError: null });
    } catch {
      onChange({ ...value, file: null, fileError: `${file.name} could not be read.` });
    } finally {
      setReading(false);
    }
  }

  return (
    <div className="space-y-3">
      {value.file ? (
        <div>
          <p className="block text-sm font-medium text-slate-900">{label}</p>
          <div className="mt-1.5 flex items-center justify-between gap-3 rounded-md bg-slate-50 px-3 py-2.5 ring-1 ring-inset ring-slate-200">
            <div className="min-w-0 text-sm">
              <p className="truncate font-medium text-slate-900" title={value.file.name}>
                <svg
                  aria-hidden="true"
                  viewBox="0 0 20 20"
                  className="mr-1.5 inline h-4 w-4 align-[-3px] text-slate-400"
                >
                  <path
                    fill="currentColor"
                    d="M5 2h6l4 4v11a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V3a1 1 0 0 1 1-1zm5 1.5V7h3.5L10 3.5z"
                  />
                </svg>
                {value.file.name}
              </p>
              <p className="mt-0.5 text-slate-500">
                {formatBytes(value.file.size)} · stored base64-encoded ({bytes.toLocaleString("en")} of{" "}
                {SECRET_VALUE_MAX_BYTES.toLocaleString("en")} bytes)
              </p>
            </div>
            <button
              type="button"
              onClick={() => onChange({ ...value, file: null, fileError: null })}
              className="shrink-0 rounded-md px-2 py-1 text-sm font-medium text-slate-600 hover:bg-slate-200 focus-visible:outline focus-visible:outline-2 focus-visible:outline-indigo-600"
            >
              Remove file
            </button>
          </div>
          <p className="mt-1.5 text-sm text-slate-500">
            Decode it in the task, e.g.{" "}
            <code className="rounded bg-slate-100 px-1 font-mono text-xs text-slate-700">
              echo &quot;${envName}&quot; | base64 -d &gt; file
            </code>
          </p>
        </div>
      ) : (
        <div>
          <Textarea
            id={textId}
            label={label}
            value={value.text}
            onChange={(e) => onChange({ ...value, text: e.target.value, fileError: null })}
            rows={4}
            secret
            error={shownError}
          />
          <p
            className={cn(
              "mt-1 text-right text-xs tabular-nums",
              bytes > SECRET_VALUE_MAX_BYTES ? "text-red-600" : "text-slate-500",
            )}
          >
            {value.base64 && value.text !== ""
              ? `${utf8Bytes(value.text).toLocaleString("en")} bytes → ${bytes.toLocaleString("en")} as base64`
              : `${bytes.toLocaleString("en")}`}{" "}
            / {SECRET_VALUE_MAX_BYTES.toLocaleString("en")} bytes
          </p>
        </div>
      )}

      {value.file ? (
        shownError ? (
          <p role="alert" className="text-sm text-red-600">
            {shownError}
          </p>
        ) : null
      ) : (
        <div
          className={cn(
            "rounded-md px-3 py-2.5",
            needsBase64 ? "bg-amber-50 ring-1 ring-amber-200" : "bg-slate-50 ring-1 ring-slate-200",
          )}
        >
          {needsBase64 ? (
            <p className="mb-2 text-sm text-amber-900">
              Only single-line text without <code className="font-mono">&quot;</code>,{" "}
              <code className="font-mono">`</code> or <code className="font-mono">\</code> reaches a task as typed.{" "}
              <span className="font-semibold">Encode it as base64</span> and decode it in the pipeline:
            </p>
          ) : null}
          <Checkbox
            id={`${id}-base64`}
            checked={value.base64}
            onChange={(e) => onChange({ ...value, base64: e.target.checked })}
            label="Encode as base64"
            hint={
              <>
                Stores the text&apos;s UTF-8 bytes base64-encoded, for multi-line text, quotes and backslashes. In the
                task:{" "}
                <code className="rounded bg-white px-1 font-mono text-xs text-slate-700 ring-1 ring-slate-200">
                  echo &quot;${envName}&quot; | base64 -d
                </code>
              </>
            }
          />
        </div>
      )}

      {value.file ? null : (
        <div className="flex flex-wrap items-center gap-3">
          <FileButton id={fileId} onFile={(e) => void onFile(e)} disabled={reading}>
            {reading ? "Reading…" : "Upload a file"}
          </FileButton>
          <span className="text-sm text-slate-500">
            A key, certificate or other file, stored base64-encoded (up to {formatBytes(MAX_FILE_BYTES)}).
          </span>
          {value.fileError ? (
            <p role="alert" className="w-full text-sm text-red-600">
              {value.fileError}
            </p>
          ) : null}
        </div>
      )}
    </div>
  );
}
