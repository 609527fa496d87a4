import type { Metadata } from "next";
import { OrgOverview } from "./org-overview";

export const metadata: Metadata = { title: "Organization" };

export default async function OrgPage({ params }: { params: Promise<{ orgId: string }> }) {
  const { orgId } = await params;
  return <OrgOverview orgId={orgId} />;
}
