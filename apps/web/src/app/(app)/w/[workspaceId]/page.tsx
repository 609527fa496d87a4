import type { Metadata } from "next";
import { WorkspaceView, type TTab } from "./workspace-view";

export const metadata: Metadata = { title: "Workspace" };

const TABS: readonly TTab[] = ["overview", "secrets", "participants", "activity", "settings"];

export default async function WorkspacePage({
  params,
  searchParams,
}: {
  params: Promise<{ workspaceId: string }>;
  searchParams: Promise<{ tab?: string | string[] }>;
}) {
  const [{ workspaceId }, { tab }] = await Promise.all([params, searchParams]);
  const requested = TABS.find((t) => t === tab) ?? "overview";
  return <WorkspaceView workspaceId={workspaceId} tab={requested} />;
}
