"use client";

import { useState, type ReactNode } from "react";
import { Alert, Button, Dialog } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";

/**
 * The confirmation every "Delete …" action shares: Cancel has the focus, the danger button runs
 * `onConfirm` (the mutation and its cache invalidations), a server error is shown in place.
 */
export function ConfirmDeleteDialog({
  title,
  confirmLabel,
  onConfirm,
  onClose,
  onDeleted,
  blocked = false,
  children,
}: {
  title: ReactNode;
  confirmLabel: string;
  onConfirm: () => Promise<void>;
  onClose: () => void;
  onDeleted: () => void;
  /** Keeps the danger button disabled (e.g. while something still depends on the item). */
  blocked?: boolean;
  children: ReactNode;
}) {
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function onDelete() {
    setError(null);
    setPending(true);
    try {
      await onConfirm();
      onDeleted();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPending(false);
    }
  }

  return (
    <Dialog
      title={title}
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button variant="danger" onClick={() => void onDelete()} disabled={pending || blocked}>
            {pending ? "Deleting…" : confirmLabel}
          </Button>
        </>
      }
    >
      <div className="space-y-3 text-sm text-slate-700">
        {children}
        {error ? <Alert>{error}</Alert> : null}
      </div>
    </Dialog>
  );
}
