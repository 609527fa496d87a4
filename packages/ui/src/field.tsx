import type { InputHTMLAttributes, ReactNode, Ref } from "react";
import { cn } from "./cn";

type TFieldText = {
  id: string;
  error?: ReactNode;
  hint?: ReactNode;
  /** One status line announced as it changes (a name checked as typed) instead of separate error and hint lines. */
  live?: boolean;
};

/** The attributes a control inside a `FieldFrame` takes, so its error (or else hint) is announced with it. */
export function fieldAria({ id, error, hint, live }: TFieldText): {
  "aria-invalid"?: true;
  "aria-describedby"?: string;
} {
  return {
    "aria-invalid": error ? true : undefined,
    "aria-describedby": live ? `${id}-status` : error ? `${id}-error` : hint ? `${id}-hint` : undefined,
  };
}

/** The ring of a text control: red while its field has an error. */
export const controlRing = (error: unknown) => (error ? "ring-red-400" : "ring-slate-300");

/**
 * A label above one control (its `id`), the error or hint below it. The control is the caller's:
 * give it `{...fieldAria(…)}` with the same id, error and hint.
 */
export function FieldFrame({
  id,
  label,
  error,
  hint,
  live = false,
  hintTone = "muted",
  className,
  children,
}: TFieldText & { label: ReactNode; hintTone?: "muted" | "success"; className?: string; children: ReactNode }) {
  const hintClass = hintTone === "success" ? "text-green-700" : "text-slate-500";
  return (
    <div className={className}>
      <label htmlFor={id} className="block text-sm font-medium text-slate-900">
        {label}
      </label>
      {children}
      {live ? (
        <p id={`${id}-status`} aria-live="polite" className={cn("mt-1.5 text-sm", error ? "text-red-600" : hintClass)}>
          {error ?? hint}
        </p>
      ) : error ? (
        <p id={`${id}-error`} className="mt-1.5 text-sm text-red-600">
          {error}
        </p>
      ) : hint ? (
        <p id={`${id}-hint`} className={cn("mt-1.5 text-sm", hintClass)}>
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/**
 * What a control holding code (identifiers, paths, keys) takes: no autocomplete, spellcheck or
 * autocorrection; holding a `secret`, password managers are told to leave it alone too.
 */
export function codeAttributes({ code = false, secret = false }: { code?: boolean; secret?: boolean }) {
  if (!code && !secret) return {};
  return {
    autoComplete: "off",
    spellCheck: false,
    autoCapitalize: "off",
    autoCorrect: "off",
    ...(secret ? { "data-1p-ignore": true, "data-lpignore": "true" } : {}),
  };
}

const inputClass = cn(
  "mt-1.5 block w-full rounded-md border-0 px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset",
  "placeholder:text-slate-400 focus:ring-2 focus:ring-inset focus:ring-indigo-600",
);

/** Monospaced input or textarea of code, or of a secret (see `codeAttributes`). */
export type TCodeProps = { code?: boolean; secret?: boolean };

/** A labelled input with its error (if any) announced to assistive technology. */
export function Field({
  label,
  error,
  hint,
  id,
  className,
  code,
  secret,
  live,
  hintTone,
  ...props
}: InputHTMLAttributes<HTMLInputElement> &
  TCodeProps & {
    label: string;
    error?: string;
    hint?: ReactNode;
    id: string;
    live?: boolean;
    hintTone?: "muted" | "success";
    ref?: Ref<HTMLInputElement>;
  }) {
  return (
    <FieldFrame id={id} label={label} error={error} hint={hint} live={live} hintTone={hintTone} className={className}>
      <input
        id={id}
        {...fieldAria({ id, error, hint, live })}
        className={cn(inputClass, controlRing(error), (code || secret) && "font-mono")}
        {...codeAttributes({ code, secret })}
        {...props}
      />
    </FieldFrame>
  );
}
