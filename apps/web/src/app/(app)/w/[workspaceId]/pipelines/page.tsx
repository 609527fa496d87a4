import type { Metadata } from "next";
import { Pipelines } from "./pipelines";

export const metadata: Metadata = { title: "Pipelines" };

export default async function PipelinesPage({ params }: { params: Promise<{ workspaceId: string }> }) {
  const { workspaceId } = await params;
  return <Pipelines workspaceId={workspaceId} />;
}
