import type { ReactNode, TextareaHTMLAttributes } from "react";
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
