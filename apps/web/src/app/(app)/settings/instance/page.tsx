import type { Metadata } from "next";
import { EmptyState, PageHeader } from "@lockstep/ui";
import { currentUser } from "~/server/session";
import { InstanceSettings } from "./instance-settings";

export const metadata: Metadata = { title: "Instance settings" };

export default async function InstanceSettingsPage() {
  // The layout has already sent anyone signed out to /sign-in; the API refuses non-admins too.
  const user = await currentUser();
  if (!user?.isInstanceAdmin) {
    return (
      <>
        <PageHeader title="Instance settings" />
        <EmptyState title="For instance admins only">
          Ask one of this instance&apos;s admins if you need something changed here.
        </EmptyState>
      </>
    );
  }
  return <InstanceSettings currentUserId={user.id} />;
}
