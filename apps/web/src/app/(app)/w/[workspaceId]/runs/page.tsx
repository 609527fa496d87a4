import type { Metadata } from "next";
import { RunsList } from "./runs-list";

export const metadata: Metadata = { title: "Runs" };

export default async function RunsPage({ params }: { params: Promise<{ workspaceId: string }> }) {
  const { workspaceId } = await params;
  return <RunsList workspaceId={workspaceId} />;
}
