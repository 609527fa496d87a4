import type { TActor } from "./services/secrets";

/** Who is acting, for the audit log: the signed-in user and where the request came from. */
export function actorOf(ctx: {
  user: { id: string; email: string };
  ip: string | null;
  userAgent: string | null;
}): TActor {
  return { id: ctx.user.id, email: ctx.user.email, ip: ctx.ip, userAgent: ctx.userAgent };
}
