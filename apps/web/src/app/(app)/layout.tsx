import Link from "next/link";
import { headers } from "next/headers";
import { redirect } from "next/navigation";
import type { ReactNode } from "react";
import { Logo } from "@lockstep/ui";
import { safeReturnPath } from "@lockstep/validators";
import { REQUESTED_PATH_HEADER } from "~/server/requested-path";
import { currentUser } from "~/server/session";
import { OrgSwitcher } from "~/components/org-switcher";
import { UserMenu } from "~/components/user-menu";

export const dynamic = "force-dynamic";

export default async function AppLayout({ children }: { children: ReactNode }) {
  const user = await currentUser();
  if (!user) {
    // Back to the page asked for once signed in (a deep link someone shared).
    const back = safeReturnPath((await headers()).get(REQUESTED_PATH_HEADER));
    redirect(back === "/dashboard" ? "/sign-in" : `/sign-in?callbackUrl=${encodeURIComponent(back)}`);
  }
  return (
    <div className="min-h-full">
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex h-14 max-w-6xl items-center gap-3 px-6 sm:gap-6">
          <Link href="/dashboard" aria-label="Lockstep home" className="shrink-0">
            <Logo />
          </Link>
          <OrgSwitcher />
          <div className="ml-auto shrink-0">
            <UserMenu name={user.name} email={user.email} isInstanceAdmin={user.isInstanceAdmin} />
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-6xl px-6 py-8">{children}</main>
    </div>
  );
}
