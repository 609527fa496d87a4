import type { Metadata } from "next";
import { AccessTokens } from "./access-tokens";

export const metadata: Metadata = { title: "Access tokens" };

export default function AccessTokensPage() {
  return <AccessTokens />;
}
