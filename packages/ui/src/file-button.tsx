import type { ChangeEvent, ReactNode } from "react";

/** A file picker that looks like a secondary button: the input stays in the tab order, visually hidden. */
export function FileButton({
  id,
  accept,
  disabled,
  onFile,
  children,
}: {
  id: string;
  accept?: string;
  disabled?: boolean;
  onFile: (event: ChangeEvent<HTMLInputElement>) => void;
  /** The button's text. */
  children: ReactNode;
}) {
  return (
    <>
      <input id={id} type="file" accept={accept} className="peer sr-only" onChange={onFile} disabled={disabled} />
      <label
        htmlFor={id}
        className="inline-flex cursor-pointer items-center gap-2 rounded-md bg-white px-3 py-1.5 text-sm font-semibold text-slate-900 shadow-sm ring-1 ring-inset ring-slate-300 hover:bg-slate-50 peer-focus-visible:outline peer-focus-visible:outline-2 peer-focus-visible:outline-offset-2 peer-focus-visible:outline-indigo-600"
      >
        <svg aria-hidden="true" viewBox="0 0 20 20" className="h-4 w-4 text-slate-500">
          <path
            fill="currentColor"
            d="M10 3a1 1 0 0 1 .7.3l3.5 3.5a1 1 0 1 1-1.4 1.4L11 6.4V13a1 1 0 1 1-2 0V6.4L7.2 8.2a1 1 0 0 1-1.4-1.4l3.5-3.5A1 1 0 0 1 10 3zM4 14a1 1 0 0 1 1 1v1h10v-1a1 1 0 1 1 2 0v2a1 1 0 0 1-1 1H4a1 1 0 0 1-1-1v-2a1 1 0 0 1 1-1z"
          />
        </svg>
        {children}
      </label>
    </>
  );
}
