"use client";

import { useState, type FormEvent, type ReactNode } from "react";
import { Alert, Button, Card, Field } from "@lockstep/ui";
import { errorMessage, fieldErrorsOf } from "~/components/errors";

/**
 * The "General" card of a settings page: its fields (given the errors to show), saved in place.
 * Field errors land next to their fields, others under the form; "Saved." once done.
 */
export function GeneralSettingsCard({
  label,
  saving,
  onSave,
  children,
}: {
  /** The form's accessible name. */
  label: string;
  saving: boolean;
  onSave: (data: FormData) => Promise<unknown>;
  children: (errors: Record<string, string>) => ReactNode;
}) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [saved, setSaved] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    setErrors({});
    setSaved(false);
    try {
      await onSave(data);
      setSaved(true);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">General</h2>
      <form className="mt-4 max-w-xl space-y-4" onSubmit={(e) => void onSubmit(e)} noValidate aria-label={label}>
        {children(errors)}
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        {saved ? <Alert tone="green">Saved.</Alert> : null}
        <Button type="submit" disabled={saving}>
          {saving ? "Saving…" : "Save changes"}
        </Button>
      </form>
    </Card>
  );
}

/**
 * "Danger zone": deleting an organization or a workspace, enabled once its name is typed.
 * `onDelete` deletes it and moves on; a refusal is shown in place.
 */
export function DangerZone({
  what,
  name,
  inputId,
  deleting,
  onDelete,
  children,
}: {
  what: "organization" | "workspace";
  name: string;
  inputId: string;
  deleting: boolean;
  onDelete: () => Promise<void>;
  /** What deleting it destroys. */
  children: ReactNode;
}) {
  const [typed, setTyped] = useState("");
  const [error, setError] = useState<string | null>(null);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (typed !== name) return;
    setError(null);
    try {
      await onDelete();
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <section aria-labelledby="danger-heading" className="rounded-xl bg-white p-8 shadow-sm ring-1 ring-red-200">
      <h2 id="danger-heading" className="text-base font-semibold text-red-700">
        Danger zone
      </h2>
      <p className="mt-1 max-w-2xl text-sm text-slate-600">{children}</p>
      <form
        className="mt-4 max-w-xl space-y-4"
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        aria-label={`Delete ${what}`}
      >
        <p className="text-sm text-slate-700">
          To confirm, type <strong className="font-semibold text-slate-900 [overflow-wrap:anywhere]">{name}</strong>{" "}
          below.
        </p>
        <Field
          id={inputId}
          label={`Name of the ${what} to delete`}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        {error ? <Alert>{error}</Alert> : null}
        <Button type="submit" variant="danger" disabled={typed !== name || deleting}>
          {deleting ? "Deleting…" : `Delete ${what}`}
        </Button>
      </form>
    </section>
  );
}
