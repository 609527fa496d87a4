import type { ReactNode } from "react";
import { visibleOr404 } from "~/server/page-access";

/** An organization the user is not in (or an id that is none) is an HTTP 404 on every one of its pages. */
export default async function OrgLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ orgId: string }>;
}) {
  const { orgId } = await params;
  await visibleOr404((api) => api.orgs.get({ orgId }));
  return children;
}
