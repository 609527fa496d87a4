import { z } from "zod";
import { effectiveWorkspaceRole } from "@lockstep/auth";
import {
  listWorkspaceInvitations,
  listWorkspaceParticipants,
  visibleWorkspaceFacts,
  type TWorkspaceAccessFacts,
} from "@lockstep/db";
import { encodeCursor, slugify, ZDescription, ZDisplayName, ZEmail, ZId, ZSlug } from "@lockstep/validators";
import { cursored, pageOf, pageOutput, withCursor, ZPageInput } from "../../paging";
import { invitationOut, inviteToWorkspace, revokeInvitation } from "../../services/invitations";
import {
  createWorkspace,
  deleteWorkspace,
  removeParticipant,
  updateParticipantRole,
  updateWorkspace,
} from "../../services/tenancy";
import { authedProcedure, orgProcedure, router, workspaceProcedure } from "../../trpc";
import { actorOf } from "../../actor";
import { ZInvitationOut, ZParticipantOut, ZVisibility, ZWorkspaceOut, ZWorkspaceRole } from "../shapes";

const ok = z.object({ ok: z.literal(true) });

type TWorkspaceRow = TWorkspaceAccessFacts["workspace"];

function workspaceOut(ws: TWorkspaceRow, orgName: string | null, role: z.infer<typeof ZWorkspaceRole>) {
  return {
    id: ws.id,
    name: ws.name,
    slug: ws.slug,
    description: ws.description,
    visibility: ws.visibility,
    personal: ws.personalOwnerId !== null,
    orgId: ws.orgId,
    orgName,
    role,
    createdAt: ws.createdAt,
  };
}

export const workspacesRouter = router({
  /** Every workspace the caller can see (their personal one first), optionally in one org. */
  list: authedProcedure
    .input(z.object({ orgId: ZId.optional() }).default({}))
    .output(z.array(ZWorkspaceOut))
    .query(async ({ ctx, input }) => {
      const rows = await visibleWorkspaceFacts(ctx.db, ctx.user.id, input.orgId);
      return rows.flatMap((f) => {
        const role = effectiveWorkspaceRole({
          personalOwnerId: f.workspace.personalOwnerId,
          visibility: f.workspace.visibility,
          participantRole: f.participantRole,
          orgRole: f.orgRole,
          userId: ctx.user.id,
        });
        return role ? [workspaceOut(f.workspace, f.orgName, role)] : [];
      });
    }),

  create: orgProcedure("org:manage")
    .input(
      z.object({
        name: ZDisplayName,
        slug: ZSlug.optional(),
        description: ZDescription.default(""),
        visibility: ZVisibility.default("private"),
      }),
    )
    .output(ZWorkspaceOut)
    .mutation(async ({ ctx, input }) => {
      const ws = await createWorkspace(ctx.db, ctx.org.id, ctx.user.id, {
        name: input.name,
        slug: input.slug ?? slugify(input.name),
        description: input.description,
        visibility: input.visibility,
      });
      return workspaceOut(ws, ctx.org.name, "owner");
    }),

  get: workspaceProcedure("workspace:view")
    .output(ZWorkspaceOut)
    .query(({ ctx }) => workspaceOut(ctx.workspace, ctx.orgName, ctx.role)),

  update: workspaceProcedure("workspace:settings")
    .input(
      z.object({
        name: ZDisplayName.optional(),
        slug: ZSlug.optional(),
        description: ZDescription.optional(),
        visibility: ZVisibility.optional(),
      }),
    )
    .output(ZWorkspaceOut)
    .mutation(async ({ ctx, input }) => {
      const ws = await updateWorkspace(ctx.db, ctx.workspace, actorOf(ctx), {
        name: input.name,
        slug: input.slug,
        description: input.description,
        visibility: input.visibility,
      });
      return workspaceOut(ws, ctx.orgName, ctx.role);
    }),

  delete: workspaceProcedure("workspace:delete")
    .output(ok)
    .mutation(async ({ ctx }) => {
      await deleteWorkspace(ctx.db, ctx.workspace);
      return { ok: true as const };
    }),

  participants: router({
    /** By name, one page (search: part of the name or email). */
    list: workspaceProcedure("workspace:view")
      .input(ZPageInput)
      .output(pageOutput(withCursor(ZParticipantOut)))
      .query(async ({ ctx, input }) =>
        cursored(
          await listWorkspaceParticipants(ctx.db, ctx.workspace.id, pageOf(input, "name")),
          "name",
          (p) => p.userId,
        ),
      ),

    /**
     * Invites an email: they participate only once they accept. The answer is the same whether
     * or not an account uses the email.
     */
    add: workspaceProcedure("participants:manage")
      .input(z.object({ email: ZEmail, role: ZWorkspaceRole }))
      .output(ZInvitationOut)
      .mutation(({ ctx, input }) => inviteToWorkspace(ctx.db, ctx.workspace, ctx.role, actorOf(ctx), input)),

    /** Pending invitations to this workspace. */
    invitations: router({
      list: workspaceProcedure("participants:manage")
        .input(ZPageInput)
        .output(pageOutput(withCursor(ZInvitationOut)))
        .query(async ({ ctx, input }) =>
          (await listWorkspaceInvitations(ctx.db, ctx.workspace.id, pageOf(input, "email"))).map((r) => ({
            ...invitationOut(r),
            cursor: encodeCursor({ sort: "email", key: r.emailKey, id: r.invitation.id }),
          })),
        ),

      revoke: workspaceProcedure("participants:manage")
        .input(z.object({ invitationId: ZId }))
        .output(ZInvitationOut)
        .mutation(({ ctx, input }) =>
          revokeInvitation(
            ctx.db,
            { workspaceId: ctx.workspace.id, callerRole: ctx.role },
            actorOf(ctx),
            input.invitationId,
          ),
        ),
    }),

    updateRole: workspaceProcedure("participants:manage")
      .input(z.object({ userId: ZId, role: ZWorkspaceRole }))
      .output(ok)
      .mutation(async ({ ctx, input }) => {
        await updateParticipantRole(ctx.db, ctx.workspace, ctx.role, actorOf(ctx), input.userId, input.role);
        return { ok: true as const };
      }),

    remove: workspaceProcedure("participants:manage")
      .input(z.object({ userId: ZId }))
      .output(ok)
      .mutation(async ({ ctx, input }) => {
        await removeParticipant(ctx.db, ctx.workspace, ctx.role, actorOf(ctx), input.userId);
        return { ok: true as const };
      }),
  }),
});
