import NextAuth from "next-auth";
import { webEnv } from "~/env";
import { authOptions } from "~/server/auth";
import { guardRequest } from "~/server/request-guard";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

type THandler = (req: Request, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

// Built per request so configuration is read at runtime, not at build time. Sign-in, sign-out and
// callback POSTs come from Lockstep's own pages only (next-auth's CSRF token is a second check).
const handler: THandler = async (req, ctx) =>
  guardRequest(req, { publicUrl: webEnv().NEXTAUTH_URL, jsonOnly: false }) ??
  (NextAuth(authOptions()) as THandler)(req, ctx);

export { handler as GET, handler as POST };
