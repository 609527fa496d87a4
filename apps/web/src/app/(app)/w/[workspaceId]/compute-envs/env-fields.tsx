"use client";

import { Alert, Badge, Textarea } from "@lockstep/ui";
import { lineNames } from "~/components/runs/format";

type TEnvFieldsProps = {
  formId: string;
  /** Names of the variables already saved (their values are never sent back); empty for a new environment. */
  saved: readonly string[];
  keep: ReadonlySet<string>;
  onKeepChange: (name: string, kept: boolean) => void;
  text: string;
  onTextChange: (text: string) => void;
  placeholder: string;
  errors: { env?: string; keepEnv?: string };
};

/** Saved names that the next save drops: neither kept nor given again in `text`. */
function removedEnvNames(saved: readonly string[], keep: ReadonlySet<string>, text: string): string[] {
  const typed = lineNames(text);
  return saved.filter((name) => !keep.has(name) && !typed.has(name));
}

/**
 * Environment variables are write-only like secrets: an edit lists the saved names, each kept
 * (with its saved value) unless unticked, and takes new or changed ones as NAME=value lines.
 */
export function EnvFields({
  formId,
  saved,
  keep,
  onKeepChange,
  text,
  onTextChange,
  placeholder,
  errors,
}: TEnvFieldsProps) {
  const textarea = (label: string, hint: string) => (
    <Textarea
      id={`${formId}-env`}
      label={label}
      value={text}
      onChange={(e) => onTextChange(e.target.value)}
      rows={3}
      code
      placeholder={placeholder}
      error={errors.env}
      hint={hint}
    />
  );
  if (saved.length === 0) {
    return textarea(
      "Environment variables (optional)",
      "One NAME=value per line, set for Nextflow. Not for secrets: put those in the workspace's secrets. Names that change how Java, the shell or Nextflow start (JAVA_*, LD_*, PATH, NXF_OPTS…) are refused.",
    );
  }

  const typed = lineNames(text);
  const removed = removedEnvNames(saved, keep, text);
  const listId = `${formId}-saved-env`;
  return (
    <div className="space-y-4">
      <fieldset aria-describedby={`${listId}-hint`}>
        <legend className="block text-sm font-medium text-slate-900">Environment variables</legend>
        <p id={`${listId}-hint`} className="mt-0.5 text-sm text-slate-500">
          Values are never shown again once saved. A kept variable keeps its saved value; untick it to remove it, or
          give it a new value below.
        </p>
        <ul
          className="mt-2 divide-y divide-slate-100 rounded-md bg-white ring-1 ring-slate-200"
          aria-label="Saved environment variables"
        >
          {saved.map((name) => {
            const id = `${listId}-${name}`;
            const status = typed.has(name) ? (
              <Badge tone="indigo">new value below</Badge>
            ) : keep.has(name) ? null : (
              <Badge tone="amber">removed on save</Badge>
            );
            return (
              <li key={name} className="flex items-center gap-3 px-3 py-2">
                <code id={`${id}-name`} className="min-w-0 flex-1 break-all font-mono text-sm text-slate-900">
                  {name}
                </code>
                {status ? <span id={`${id}-status`}>{status}</span> : null}
                <span className="flex shrink-0 items-center gap-1.5">
                  <input
                    id={id}
                    type="checkbox"
                    checked={keep.has(name)}
                    onChange={(e) => onKeepChange(name, e.target.checked)}
                    aria-labelledby={`${id}-keep ${id}-name`}
                    aria-describedby={status ? `${id}-status` : undefined}
                    className="h-4 w-4 rounded border-slate-300 accent-indigo-600 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
                  />
                  <label id={`${id}-keep`} htmlFor={id} className="text-sm text-slate-700">
                    Keep
                  </label>
                </span>
              </li>
            );
          })}
        </ul>
        {errors.keepEnv ? <p className="mt-1.5 text-sm text-red-600">{errors.keepEnv}</p> : null}
        {removed.length > 0 ? (
          <div className="mt-2">
            <Alert tone="amber">
              Saving removes {removed.join(", ")}; {removed.length === 1 ? "its value" : "their values"} cannot be
              recovered.
            </Alert>
          </div>
        ) : null}
      </fieldset>
      {textarea(
        "New or changed variables (optional)",
        "One NAME=value per line; a saved name given here takes the new value. Not for secrets: put those in the workspace's secrets.",
      )}
    </div>
  );
}
