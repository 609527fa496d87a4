"use client";

import { useMutation, useQuery } from "@tanstack/react-query";
import { signOut } from "next-auth/react";
import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { Alert, Button, Checkbox, Dialog } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { PAGE_MAX } from "~/components/paging";
import { useTRPC } from "~/trpc/react";

export function UserMenu({ name, email, isInstanceAdmin }: { name: string; email: string; isInstanceAdmin: boolean }) {
  const [open, setOpen] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const close = (e: MouseEvent) => ref.current && !ref.current.contains(e.target as Node) && setOpen(false);
    document.addEventListener("click", close);
    return () => document.removeEventListener("click", close);
  }, []);
  const initials = name
    .split(/\s+/)
    .map((p) => p[0])
    .join("")
    .slice(0, 2)
    .toUpperCase();
  return (
    <div className="relative" ref={ref}>
      <button
        type="button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-label="User menu"
        onClick={() => setOpen((v) => !v)}
        className="flex h-8 w-8 items-center justify-center rounded-full bg-indigo-100 text-xs font-semibold text-indigo-700 hover:ring-2 hover:ring-indigo-200"
      >
        {initials || "?"}
      </button>
      {open ? (
        <div
          role="menu"
          className="absolute right-0 z-20 mt-2 w-64 rounded-lg bg-white p-1 shadow-lg ring-1 ring-slate-200"
        >
          <div className="px-3 py-2">
            <p className="text-sm font-medium text-slate-900">{name}</p>
            <p className="truncate text-xs text-slate-500">{email}</p>
          </div>
          <div className="my-1 border-t border-slate-100" />
          <Link
            role="menuitem"
            href="/settings/secrets"
            onClick={() => setOpen(false)}
            className="block rounded-md px-3 py-2 text-sm hover:bg-slate-50"
          >
            Your secrets
          </Link>
          <Link
            role="menuitem"
            href="/settings/tokens"
            onClick={() => setOpen(false)}
            className="block rounded-md px-3 py-2 text-sm hover:bg-slate-50"
          >
            Access tokens
          </Link>
          {isInstanceAdmin ? (
            <>
              <div className="my-1 border-t border-slate-100" />
              <Link
                role="menuitem"
                href="/settings/instance"
                onClick={() => setOpen(false)}
                className="block rounded-md px-3 py-2 text-sm hover:bg-slate-50"
              >
                Instance settings
              </Link>
            </>
          ) : null}
          <div className="my-1 border-t border-slate-100" />
          <button
            role="menuitem"
            type="button"
            onClick={() => void signOut({ callbackUrl: "/sign-in" })}
            className="block w-full rounded-md px-3 py-2 text-left text-sm hover:bg-slate-50"
          >
            Sign out
          </button>
          <button
            role="menuitem"
            type="button"
            onClick={() => {
              setOpen(false);
              setConfirming(true);
            }}
            className="block w-full rounded-md px-3 py-2 text-left text-sm text-red-600 hover:bg-red-50"
          >
            Sign out everywhere…
          </button>
        </div>
      ) : null}
      {confirming ? <SignOutEverywhereDialog onClose={() => setConfirming(false)} /> : null}
    </div>
  );
}

/** Ends every session of the user; optionally revokes every access token too (an account taken over may have minted some). */
function SignOutEverywhereDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const tokens = useQuery(trpc.me.tokens.list.queryOptions({ limit: PAGE_MAX }));
  const everywhere = useMutation(trpc.me.signOutEverywhere.mutationOptions());
  const [revokeTokens, setRevokeTokens] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const count = tokens.data?.length ?? 0;

  async function confirm() {
    setError(null);
    try {
      await everywhere.mutateAsync({ revokeTokens });
      await signOut({ callbackUrl: "/sign-in" });
    } catch (e) {
      setError(errorMessage(e));
    }
  }

  return (
    <Dialog
      title="Sign out everywhere?"
      description="Every browser signed in to your account is signed out, this one included."
      onClose={onClose}
      footer={
        <>
          <Button variant="secondary" onClick={onClose} data-autofocus>
            Cancel
          </Button>
          <Button variant="danger" disabled={everywhere.isPending} onClick={() => void confirm()}>
            {everywhere.isPending ? "Signing out…" : "Sign out everywhere"}
          </Button>
        </>
      }
    >
      <div className="space-y-4">
        <Checkbox
          id="revoke-tokens"
          checked={revokeTokens}
          onChange={(e) => setRevokeTokens(e.currentTarget.checked)}
          label={
            count === 1
              ? "Also revoke my access token"
              : `Also revoke all my access tokens${tokens.data ? ` (${count})` : ""}`
          }
          hint={`Scripts and CI jobs using ${count === 1 ? "it" : "them"} stop working. Do this if someone else may have used your account.`}
        />
        {error ? <Alert>{error}</Alert> : null}
      </div>
    </Dialog>
  );
}
