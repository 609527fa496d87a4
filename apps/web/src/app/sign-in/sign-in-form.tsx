"use client";

import { useState, type FormEvent } from "react";
import { Button, Field } from "@lockstep/ui";

type TErrors = Partial<Record<"email" | "password" | "form", string>>;

export function SignInForm() {
  const [errors, setErrors] = useState<TErrors>({});

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const next: TErrors = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) next.email = "Enter an email address like ada@example.org.";
    if (password.length === 0) next.password = "Enter your password.";
    if (Object.keys(next).length === 0) {
      next.form = "Accounts are not available on this instance yet: sign-in arrives with the identity release.";
    }
    setErrors(next);
  }

  return (
    <form className="mt-6 space-y-5" noValidate onSubmit={onSubmit} aria-label="Sign in">
      <Field id="email" name="email" type="email" label="Email" autoComplete="email" required error={errors.email} />
      <Field
        id="password"
        name="password"
        type="password"
        label="Password"
        autoComplete="current-password"
        required
        error={errors.password}
      />
      {errors.form ? (
        <p role="alert" className="rounded-md bg-amber-50 px-3 py-2 text-sm text-amber-800 ring-1 ring-amber-200">
          {errors.form}
        </p>
      ) : null}
      <Button type="submit" className="w-full">
        Sign in
      </Button>
    </form>
  );
}
