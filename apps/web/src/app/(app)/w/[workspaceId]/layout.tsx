import type { ReactNode } from "react";
import { visibleOr404 } from "~/server/page-access";

/** A workspace the user cannot see (or an id that is none) is an HTTP 404 on every one of its pages. */
export default async function WorkspaceLayout({
  children,
  params,
}: {
  children: ReactNode;
  params: Promise<{ workspaceId: string }>;
}) {
  const { workspaceId } = await params;
  await visibleOr404((api) => api.workspaces.get({ workspaceId }));
  return children;
}
