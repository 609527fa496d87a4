import type { ReactNode } from "react";

/** One option of a radio group drawn as a card: its title names it, the text under the title describes it. */
export function RadioCard({
  id,
  name,
  value,
  checked,
  onChange,
  title,
  children,
}: {
  id: string;
  name: string;
  value: string;
  checked: boolean;
  onChange: () => void;
  title: string;
  children: ReactNode;
}) {
  return (
    <label
      htmlFor={id}
      className={`flex cursor-pointer gap-3 rounded-lg p-3 ring-1 ${checked ? "bg-indigo-50/60 ring-2 ring-indigo-600" : "bg-white ring-slate-300 hover:bg-slate-50"}`}
    >
      <input
        id={id}
        type="radio"
        name={name}
        value={value}
        checked={checked}
        onChange={onChange}
        aria-labelledby={`${id}-title`}
        aria-describedby={`${id}-desc`}
        className="mt-0.5 h-4 w-4 accent-indigo-600"
      />
      <span className="text-sm">
        <span id={`${id}-title`} className="block font-medium text-slate-900">
          {title}
        </span>
        <span id={`${id}-desc`} className="mt-0.5 block text-slate-500">
          {children}
        </span>
      </span>
    </label>
  );
}
