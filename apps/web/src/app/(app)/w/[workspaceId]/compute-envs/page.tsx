import type { Metadata } from "next";
import { ComputeEnvs } from "./compute-envs";

export const metadata: Metadata = { title: "Compute environments" };

export default async function ComputeEnvsPage({ params }: { params: Promise<{ workspaceId: string }> }) {
  const { workspaceId } = await params;
  return <ComputeEnvs workspaceId={workspaceId} />;
}
