import type { InputHTMLAttributes, ReactNode, TextareaHTMLAttributes } from "react";
import { cn } from "./cn";
import { codeAttributes, controlRing, fieldAria, FieldFrame, type TCodeProps } from "./field";

/** A labelled textarea; `error` (or else `hint`) is announced through aria-describedby. */
export function Textarea({
  label,
  error,
  hint,
  id,
  className,
  textareaClassName,
  code,
  secret,
  ...props
}: TextareaHTMLAttributes<HTMLTextAreaElement> &
  TCodeProps & { label: string; error?: ReactNode; hint?: ReactNode; id: string; textareaClassName?: string }) {
  const aria = fieldAria({ id, error, hint });
  const describedBy = [aria["aria-describedby"], props["aria-describedby"]].filter(Boolean).join(" ") || undefined;
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint} className={className}>
      <textarea
        id={id}
        aria-invalid={aria["aria-invalid"]}
        {...codeAttributes({ code, secret })}
        {...props}
        aria-describedby={describedBy}
        className={cn(
          "mt-1.5 block w-full rounded-md border-0 px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset",
          "placeholder:text-slate-400 focus:outline-hidden focus:ring-2 focus:ring-inset focus:ring-indigo-600 read-only:bg-slate-50 disabled:bg-slate-50 disabled:text-slate-500",
          controlRing(error),
          (code || secret) && "font-mono",
          textareaClassName,
        )}
      />
    </FieldFrame>
  );
}

/** A checkbox with its label beside it and an optional hint below. */
export function Checkbox({
  label,
  hint,
  id,
  className,
  ...props
}: Omit<InputHTMLAttributes<HTMLInputElement>, "type"> & { label: ReactNode; hint?: ReactNode; id: string }) {
  return (
    <div className={cn("flex items-start gap-2.5", className)}>
      <input
        id={id}
        type="checkbox"
        aria-describedby={hint ? `${id}-hint` : undefined}
        className="mt-0.5 h-4 w-4 shrink-0 rounded border-slate-300 accent-indigo-600 focus-visible:outline focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600"
        {...props}
      />
      <div className="text-sm">
        <label htmlFor={id} className="font-medium text-slate-900">
          {label}
        </label>
        {hint ? (
          <p id={`${id}-hint`} className="mt-0.5 text-slate-500">
            {hint}
          </p>
        ) : null}
      </div>
    </div>
  );
}
