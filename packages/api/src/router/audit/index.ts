import { z } from "zod";
import { listAuditEvents, runSecretOwners, type TAuditFilter, type TDbOrTx } from "@lockstep/db";
import { ZId } from "@lockstep/validators";
import { hidePersonalSecretNames } from "../../services/personal-secrets";
import { authedProcedure, router, workspaceProcedure } from "../../trpc";
import { ZAuditEventOut } from "../shapes";

const ZFilters = z.object({
  cursor: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(500).default(50),
  action: z.string().max(100).optional(),
  actorId: ZId.optional(),
  targetName: z.string().max(200).optional(),
  from: z.coerce.date().optional(),
  to: z.coerce.date().optional(),
});

const ZPage = z.object({ items: z.array(ZAuditEventOut), nextCursor: z.number().nullable() });

async function page(db: TDbOrTx, filter: Omit<TAuditFilter, "limit" | "beforeSeq">, input: z.infer<typeof ZFilters>) {
  const rows = await listAuditEvents(db, {
    ...filter,
    beforeSeq: input.cursor,
    limit: input.limit + 1,
    action: input.action,
    actorId: input.actorId,
    targetName: input.targetName,
    from: input.from,
    to: input.to,
  });
  const kept = rows.slice(0, input.limit);
  // Events about runs may name the launcher's personal secrets (older events did): counts only here.
  const owners = filter.workspaceId
    ? await runSecretOwners(
        db,
        kept.flatMap((e) => (e.runId ? [e.runId] : [])),
      )
    : null;
  const items = kept.map(({ workspaceId: _w, subjectUserId: _s, ...rest }) =>
    owners
      ? { ...rest, detail: hidePersonalSecretNames(rest.detail, rest.runId ? (owners.get(rest.runId) ?? null) : null) }
      : rest,
  );
  return { items, nextCursor: rows.length > input.limit ? (items.at(-1)?.seq ?? null) : null };
}

export const auditRouter = router({
  /** A workspace's audit trail, newest first (owners and admins). */
  list: workspaceProcedure("audit:read")
    .input(ZFilters)
    .output(ZPage)
    .query(({ ctx, input }) => page(ctx.db, { workspaceId: ctx.workspace.id }, input)),

  /** The caller's own user-secret events. */
  mine: authedProcedure
    .input(ZFilters.default({ limit: 50 }))
    .output(ZPage)
    .query(({ ctx, input }) => page(ctx.db, { subjectUserId: ctx.user.id }, input)),
});
