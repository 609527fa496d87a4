import type { ReactNode } from "react";
import { Button } from "./button";

/** A form dialog's footer: Cancel, and the button that submits the form `formId` ("Saving…" while it does). */
export function FormFooter({
  formId,
  onCancel,
  saving,
  disabled = false,
  children,
}: {
  formId: string;
  onCancel: () => void;
  saving: boolean;
  /** Keeps the submit button disabled for another reason than saving. */
  disabled?: boolean;
  /** The submit button's label. */
  children: ReactNode;
}) {
  return (
    <>
      <Button variant="secondary" onClick={onCancel}>
        Cancel
      </Button>
      <Button type="submit" form={formId} disabled={saving || disabled}>
        {saving ? "Saving…" : children}
      </Button>
    </>
  );
}
