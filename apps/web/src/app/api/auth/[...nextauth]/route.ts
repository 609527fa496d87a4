import NextAuth from "next-auth";
import { authOptions } from "~/server/auth";

export const dynamic = "force-dynamic";

type THandler = (req: Request, ctx: { params: Promise<{ nextauth: string[] }> }) => Promise<Response>;

// Built per request so configuration is read at runtime, not at build time.
const handler: THandler = async (req, ctx) => (NextAuth(authOptions()) as THandler)(req, ctx);

export { handler as GET, handler as POST };
