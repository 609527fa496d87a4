"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Alert, Button, Field } from "@lockstep/ui";

type TErrors = Partial<Record<"email" | "password" | "form", string>>;

/** `returnTo` is a path on this site, already checked by the page (safeReturnPath). */
export function SignInForm({ oidcName, returnTo }: { oidcName: string | null; returnTo: string }) {
  const router = useRouter();
  const [errors, setErrors] = useState<TErrors>({});
  const [pending, setPending] = useState(false);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const email = String(data.get("email") ?? "").trim();
    const password = String(data.get("password") ?? "");
    const next: TErrors = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email)) next.email = "Enter an email address like ada@example.org.";
    if (password.length === 0) next.password = "Enter your password.";
    setErrors(next);
    if (Object.keys(next).length > 0) return;
    setPending(true);
    // A network failure rejects: without the catch the button stayed on "Signing in…" for good.
    const result = await signIn("credentials", { email, password, redirect: false }).catch(() => ({
      error: "Lockstep could not be reached. Try again.",
    }));
    setPending(false);
    if (!result || result.error) {
      const message =
        result?.error && result.error !== "CredentialsSignin" ? result.error : "Email or password is incorrect.";
      setErrors({ form: message });
      return;
    }
    router.replace(returnTo);
    router.refresh();
  }

  return (
    <>
      <form className="mt-6 space-y-5" noValidate onSubmit={(e) => void onSubmit(e)} aria-label="Sign in">
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
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        <Button type="submit" className="w-full" disabled={pending}>
          {pending ? "Signing in…" : "Sign in"}
        </Button>
      </form>
      {oidcName ? (
        <div className="mt-6">
          <div className="relative">
            <div className="absolute inset-0 flex items-center" aria-hidden="true">
              <div className="w-full border-t border-slate-200" />
            </div>
            <div className="relative flex justify-center text-xs">
              <span className="bg-white px-2 text-slate-500">or</span>
            </div>
          </div>
          <Button
            variant="secondary"
            className="mt-6 w-full"
            onClick={() => void signIn("oidc", { callbackUrl: returnTo })}
          >
            Continue with {oidcName}
          </Button>
        </div>
      ) : null}
    </>
  );
}
