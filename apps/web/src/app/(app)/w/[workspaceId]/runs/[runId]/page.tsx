import type { Metadata } from "next";
import { RunView } from "./run-view";

export const metadata: Metadata = { title: "Run" };

export default async function RunPage({ params }: { params: Promise<{ workspaceId: string; runId: string }> }) {
  const { workspaceId, runId } = await params;
  return <RunView workspaceId={workspaceId} runId={runId} />;
}
