import type { Metadata } from "next";
import { visibleOr404 } from "~/server/page-access";
import { RunView } from "./run-view";

export const metadata: Metadata = { title: "Run" };

export default async function RunPage({ params }: { params: Promise<{ workspaceId: string; runId: string }> }) {
  const { workspaceId, runId } = await params;
  await visibleOr404((api) => api.runs.get({ workspaceId, runId }));
  return <RunView workspaceId={workspaceId} runId={runId} />;
}
