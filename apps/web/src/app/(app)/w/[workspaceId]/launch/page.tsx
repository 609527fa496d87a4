import type { Metadata } from "next";
import { LaunchForm } from "./launch-form";

export const metadata: Metadata = { title: "Launch a run" };

export default async function LaunchPage({
  params,
  searchParams,
}: {
  params: Promise<{ workspaceId: string }>;
  searchParams: Promise<{ pipelineId?: string | string[]; from?: string | string[] }>;
}) {
  const [{ workspaceId }, { pipelineId, from }] = await Promise.all([params, searchParams]);
  return (
    <LaunchForm
      workspaceId={workspaceId}
      initialPipelineId={typeof pipelineId === "string" ? pipelineId : undefined}
      relaunchOf={typeof from === "string" && /^[0-9a-f-]{36}$/i.test(from) ? from : undefined}
    />
  );
}
