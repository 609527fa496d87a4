import type { ReactNode, SelectHTMLAttributes } from "react";
import { cn } from "./cn";
import { controlRing, fieldAria, FieldFrame } from "./field";

/** A labelled select, full width, with its error or hint below it. */
export function SelectField({
  label,
  error,
  hint,
  id,
  className,
  selectClassName,
  ...props
}: SelectHTMLAttributes<HTMLSelectElement> & {
  label: string;
  error?: string;
  hint?: ReactNode;
  id: string;
  selectClassName?: string;
}) {
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint} className={className}>
      <select
        id={id}
        {...fieldAria({ id, error, hint })}
        className={cn(
          "mt-1.5 block w-full rounded-md border-0 py-2 pl-3 pr-8 text-sm text-slate-900 shadow-sm ring-1 ring-inset focus:ring-2 focus:ring-inset focus:ring-indigo-600",
          controlRing(error),
          selectClassName,
        )}
        {...props}
      />
    </FieldFrame>
  );
}
