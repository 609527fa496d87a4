import type { Metadata } from "next";
import { Credentials } from "./credentials";

export const metadata: Metadata = { title: "Credentials" };

export default async function CredentialsPage({ params }: { params: Promise<{ workspaceId: string }> }) {
  const { workspaceId } = await params;
  return <Credentials workspaceId={workspaceId} />;
}
