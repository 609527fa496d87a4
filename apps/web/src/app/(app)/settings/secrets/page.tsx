import type { Metadata } from "next";
import { YourSecrets } from "./your-secrets";

export const metadata: Metadata = { title: "Your secrets" };

export default function YourSecretsPage() {
  return <YourSecrets />;
}
