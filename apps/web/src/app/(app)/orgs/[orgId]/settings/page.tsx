import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { orgCan } from "@lockstep/auth/permissions";
import { visibleOr404 } from "~/server/page-access";
import { OrgSettings } from "./org-settings";

export const metadata: Metadata = { title: "Organization settings" };

export default async function OrgSettingsPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  // Collaborators are not shown the members, so the page has nothing for them: 404, not an empty page.
  const org = await visibleOr404((api) => api.orgs.get({ orgId }));
  if (org && !orgCan(org.role, "org:members:list")) notFound();
  return <OrgSettings orgId={orgId} />;
}
