"use client";

import { useId, useRef, useState, type FormEvent } from "react";
import { Alert, Dialog, Field, FormFooter } from "@lockstep/ui";
import { ConfirmDeleteDialog } from "../confirm-delete-dialog";
import { emptyValue, storedValue, valueProblem, ValueInput, type TValueState } from "./value-input";
import {
  useNameStatus,
  useSealer,
  useSecretWrites,
  writeErrorsOf,
  type TSecretRow,
  type TSecretsTarget,
} from "./use-secrets";

const where = (target: TSecretsTarget) => (target.scope === "workspace" ? "this workspace" : "your secrets");

/** "Add secret": a name (checked as typed, and for duplicates) and a value sealed in the browser. */
export function AddSecretDialog({
  target,
  onClose,
  onSaved,
}: {
  target: TSecretsTarget;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const formId = useId();
  const nameId = useId();
  const nameInput = useRef<HTMLInputElement>(null);
  const [name, setName] = useState("");
  const [value, setValue] = useState<TValueState>(emptyValue);
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [errors, setErrors] = useState<{ name?: string; value?: string; form?: string }>({});
  const status = useNameStatus(target, name);
  const seal = useSealer(target);
  const writes = useSecretWrites(target);

  const nameError =
    errors.name ??
    (status.state === "invalid" || status.state === "duplicate"
      ? status.message
      : submitted && status.state === "empty"
        ? "Enter a name."
        : undefined);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    if (status.state === "empty" || status.state === "invalid" || status.state === "duplicate") {
      nameInput.current?.focus();
      return;
    }
    if (valueProblem(value)) return;
    setSaving(true);
    setErrors({});
    try {
      const sealed = await seal(name, storedValue(value));
      await writes.create(name, sealed);
      await writes.refresh();
      onSaved(`Saved ${name}. Its value is sealed and will not be shown again.`);
    } catch (error) {
      setErrors(writeErrorsOf(error));
      setSaving(false);
    }
  }

  return (
    <Dialog
      title="Add secret"
      description={
        <>
          The value is encrypted in your browser and can never be shown again, only overwritten or deleted.
          {target.scope === "user" ? " Nobody else can see your secrets, not even their names." : null}
        </>
      }
      onClose={onClose}
      size="lg"
      footer={
        <FormFooter formId={formId} onCancel={onClose} saving={saving}>
          Save secret
        </FormFooter>
      }
    >
      <form id={formId} onSubmit={(e) => void onSubmit(e)} noValidate className="space-y-5">
        <Field
          ref={nameInput}
          id={nameId}
          label="Name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            setErrors((prev) => ({ ...prev, name: undefined }));
          }}
          code
          autoCapitalize="characters"
          placeholder="DB_PASSWORD"
          error={nameError}
          live
          hintTone={status.state === "ok" ? "success" : "muted"}
          hint={
            status.state === "checking" ? (
              "Checking the name…"
            ) : status.state === "ok" ? (
              <>
                ✓ Available. A process reads it with <code className="font-mono">secret &apos;{name}&apos;</code>.
              </>
            ) : (
              "Letters, digits and single underscores, starting with a letter or underscore (Nextflow's rule)."
            )
          }
        />
        <ValueInput
          label="Value"
          secretName={status.state === "invalid" ? "" : name}
          value={value}
          onChange={setValue}
          showErrors={submitted}
          serverError={errors.value}
        />
        {errors.form ? <Alert>{errors.form}</Alert> : null}
      </form>
    </Dialog>
  );
}

/** "Overwrite NAME": a new value only; the old one cannot be shown, by design. */
export function OverwriteSecretDialog({
  target,
  secret,
  onClose,
  onSaved,
}: {
  target: TSecretsTarget;
  secret: TSecretRow;
  onClose: () => void;
  onSaved: (message: string) => void;
}) {
  const formId = useId();
  const [value, setValue] = useState<TValueState>(emptyValue);
  const [submitted, setSubmitted] = useState(false);
  const [saving, setSaving] = useState(false);
  const [errors, setErrors] = useState<{ value?: string; form?: string }>({});
  const seal = useSealer(target);
  const writes = useSecretWrites(target);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    if (valueProblem(value)) return;
    setSaving(true);
    setErrors({});
    try {
      const sealed = await seal(secret.name, storedValue(value));
      await writes.update(secret.id, sealed);
      await writes.refresh();
      onSaved(`Saved a new value for ${secret.name}.`);
    } catch (error) {
      const e = writeErrorsOf(error);
      setErrors({ value: e.value, form: e.form ?? e.name });
      setSaving(false);
    }
  }

  return (
    <Dialog
      title={
        <>
          Overwrite <span className="font-mono">{secret.name}</span>
        </>
      }
      description="The current value cannot be shown: Lockstep never reveals a secret once it is saved. Enter a new value to replace it; runs launched from now on get the new value."
      onClose={onClose}
      size="lg"
      footer={
        <FormFooter formId={formId} onCancel={onClose} saving={saving}>
          Save new value
        </FormFooter>
      }
    >
      <form id={formId} onSubmit={(e) => void onSubmit(e)} noValidate className="space-y-5">
        <ValueInput
          label="New value"
          secretName={secret.name}
          value={value}
          onChange={setValue}
          showErrors={submitted}
          serverError={errors.value}
        />
        {errors.form ? <Alert>{errors.form}</Alert> : null}
      </form>
    </Dialog>
  );
}

/** "Delete NAME": a confirmation, starting on Cancel. */
export function DeleteSecretDialog({
  target,
  secret,
  onClose,
  onDeleted,
}: {
  target: TSecretsTarget;
  secret: TSecretRow;
  onClose: () => void;
  onDeleted: (message: string) => void;
}) {
  const writes = useSecretWrites(target);
  return (
    <ConfirmDeleteDialog
      title={
        <>
          Delete <span className="font-mono">{secret.name}</span>
        </>
      }
      confirmLabel="Delete secret"
      onClose={onClose}
      onDeleted={() => onDeleted(`Deleted ${secret.name}.`)}
      onConfirm={async () => {
        await writes.remove(secret.id);
        await writes.refresh();
      }}
    >
      <p>
        Delete <strong className="font-mono font-semibold text-slate-900">{secret.name}</strong> from {where(target)}?
        Its value is destroyed and cannot be recovered.
      </p>
      <p>
        Runs launched from now on no longer get it: a process with{" "}
        <code className="rounded bg-slate-100 px-1 font-mono text-xs">secret &apos;{secret.name}&apos;</code> fails with
        “Required secret(s) is missing”
        {target.scope === "workspace" ? " unless the launching user has a user secret of that name" : null}. Runs
        already under way keep their copy until they end.
      </p>
    </ConfirmDeleteDialog>
  );
}
