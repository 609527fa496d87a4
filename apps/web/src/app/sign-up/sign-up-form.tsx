"use client";

import { useMutation } from "@tanstack/react-query";
import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState, type FormEvent } from "react";
import { Alert, Button, Field } from "@lockstep/ui";
import { useTRPC } from "~/trpc/react";
import { fieldErrorsOf } from "~/components/errors";

/**
 * `setupCode`: the instance has no admin yet, so the form asks for the one-time setup code.
 * `returnTo`: where to go once signed up, a path on this site already checked by the page.
 */
export function SignUpForm({ setupCode, returnTo }: { setupCode: boolean; returnTo: string }) {
  const trpc = useTRPC();
  const router = useRouter();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const signUp = useMutation(trpc.auth.signUp.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const input = {
      name: String(data.get("name") ?? ""),
      email: String(data.get("email") ?? ""),
      password: String(data.get("password") ?? ""),
      ...(setupCode ? { setupCode: String(data.get("setupCode") ?? "") } : {}),
    };
    setErrors({});
    try {
      await signUp.mutateAsync(input);
    } catch (error) {
      setErrors(fieldErrorsOf(error));
      return;
    }
    // A network failure rejects: answer it like a failed sign-in rather than leave it unhandled and the form silent.
    const result = await signIn("credentials", { email: input.email, password: input.password, redirect: false }).catch(
      () => null,
    );
    if (!result || result.error) {
      // Same answer whether or not the email was taken: the account exists but this password is not its own.
      setErrors({
        form: "Your account could not be signed in. If you already have an account, sign in with its password.",
      });
      return;
    }
    router.replace(returnTo);
    router.refresh();
  }

  return (
    <form className="mt-6 space-y-5" noValidate onSubmit={(e) => void onSubmit(e)} aria-label="Create an account">
      {setupCode ? (
        <Field
          id="setupCode"
          name="setupCode"
          label="Setup code"
          secret
          hint="XXXXX-XXXXX-XXXXX-XXXXX; it works once."
          required
          error={errors.setupCode}
        />
      ) : null}
      <Field id="name" name="name" label="Name" autoComplete="name" required error={errors.name} />
      <Field id="email" name="email" type="email" label="Email" autoComplete="email" required error={errors.email} />
      <Field
        id="password"
        name="password"
        type="password"
        label="Password"
        autoComplete="new-password"
        hint="At least 10 characters."
        required
        error={errors.password}
      />
      {errors.form ? <Alert>{errors.form}</Alert> : null}
      <Button type="submit" className="w-full" disabled={signUp.isPending}>
        {signUp.isPending ? "Creating your account…" : setupCode ? "Create the admin account" : "Create account"}
      </Button>
    </form>
  );
}
