"use client";

import { useState } from "react";
import { Alert } from "@lockstep/ui";

/**
 * The dialogs of a list page, one open at a time, and the notice the last one left ("Created …"):
 * opening a dialog clears the notice, finishing one closes it and shows its message.
 */
export function usePageDialogs<TDialog>() {
  const [dialog, setDialog] = useState<TDialog | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  return {
    dialog,
    notice,
    open: (next: TDialog) => {
      setNotice(null);
      setDialog(next);
    },
    close: () => setDialog(null),
    done: (message: string) => {
      setDialog(null);
      setNotice(message);
    },
  };
}

/** What the last dialog did, above the list. */
export function PageNotice({ notice }: { notice: string | null }) {
  if (!notice) return null;
  return (
    <div className="mb-4">
      <Alert tone="green">{notice}</Alert>
    </div>
  );
}
