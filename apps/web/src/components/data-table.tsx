import type { ReactNode } from "react";

/** A column heading; headings stay on one line unless `wrap` (before a cell that reads worse broken). */
export type TColumn = string | { label: string; wrap: boolean };

/**
 * The tables of the app's list pages: a card that scrolls sideways on narrow screens, a header row,
 * and, with `actions`, a last column (named for screen readers only) for each row's buttons.
 */
export function DataTable({
  label,
  columns,
  actions = false,
  children,
}: {
  label: string;
  columns: readonly TColumn[];
  actions?: boolean;
  children: ReactNode;
}) {
  return (
    <div className="relative overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
      <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label={label}>
        <thead className="bg-slate-50">
          <tr>
            {columns.map((column) => {
              const { label: heading, wrap } = typeof column === "string" ? { label: column, wrap: false } : column;
              return (
                <th
                  key={heading}
                  scope="col"
                  className={`${wrap ? "" : "whitespace-nowrap "}px-5 py-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500`}
                >
                  {heading}
                </th>
              );
            })}
            {actions ? (
              <th scope="col" className="px-5 py-3">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

/** The last cell of a row: its buttons, side by side on the right. */
export function RowActions({ children }: { children: ReactNode }) {
  return (
    <td className="whitespace-nowrap px-5 py-3 text-right">
      <span className="inline-flex gap-2">{children}</span>
    </td>
  );
}
