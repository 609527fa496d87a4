import { z } from "zod";
import { listOrgInvitations, listOrgMembers, listOrgsOf } from "@lockstep/db";
import { encodeCursor, slugify, ZDescription, ZDisplayName, ZEmail, ZId, ZSlug } from "@lockstep/validators";
import { cursored, pageOf, pageOutput, withCursor, ZPageInput } from "../../paging";
import { invitationOut, inviteToOrg, revokeInvitation } from "../../services/invitations";
import {
  createOrganization,
  deleteOrganization,
  removeOrgMember,
  updateOrganization,
  updateOrgMemberRole,
} from "../../services/tenancy";
import { authedProcedure, orgProcedure, router } from "../../trpc";
import { actorOf } from "../../actor";
import { ZInvitationOut, ZMemberOut, ZOrgOut, ZOrgRole } from "../shapes";

const ok = z.object({ ok: z.literal(true) });

export const orgsRouter = router({
  list: authedProcedure
    .output(z.array(ZOrgOut))
    .query(async ({ ctx }) =>
      (await listOrgsOf(ctx.db, ctx.user.id)).map(({ org, role }) => ({ ...pickOrg(org), role })),
    ),

  create: authedProcedure
    .input(z.object({ name: ZDisplayName, slug: ZSlug.optional(), description: ZDescription.default("") }))
    .output(ZOrgOut)
    .mutation(async ({ ctx, input }) => {
      const org = await createOrganization(ctx.db, ctx.user.id, { ...input, slug: input.slug ?? slugify(input.name) });
      return { ...pickOrg(org), role: "owner" as const };
    }),

  get: orgProcedure("org:view")
    .output(ZOrgOut)
    .query(({ ctx }) => ({ ...pickOrg(ctx.org), role: ctx.orgRole })),

  update: orgProcedure("org:manage")
    .input(z.object({ name: ZDisplayName.optional(), slug: ZSlug.optional(), description: ZDescription.optional() }))
    .output(ZOrgOut)
    .mutation(async ({ ctx, input }) => {
      const org = await updateOrganization(ctx.db, ctx.org, actorOf(ctx), {
        name: input.name,
        slug: input.slug,
        description: input.description,
      });
      return { ...pickOrg(org), role: ctx.orgRole };
    }),

  delete: orgProcedure("org:manage")
    .output(ok)
    .mutation(async ({ ctx }) => {
      await deleteOrganization(ctx.db, ctx.org.id);
      return { ok: true as const };
    }),

  members: router({
    /** By name, one page (search: part of the name or email). */
    list: orgProcedure("org:members:list")
      .input(ZPageInput)
      .output(pageOutput(withCursor(ZMemberOut)))
      .query(async ({ ctx, input }) =>
        cursored(await listOrgMembers(ctx.db, ctx.org.id, pageOf(input, "name")), "name", (m) => m.userId),
      ),

    /**
     * Invites an email: they become a member only once they accept. The answer is the same
     * whether or not an account uses the email.
     */
    add: orgProcedure("org:manage")
      .input(z.object({ email: ZEmail, role: ZOrgRole.default("member") }))
      .output(ZInvitationOut)
      .mutation(({ ctx, input }) => inviteToOrg(ctx.db, ctx.org, actorOf(ctx), input)),

    /** Pending invitations to the organization (not to its workspaces). */
    invitations: router({
      list: orgProcedure("org:manage")
        .input(ZPageInput)
        .output(pageOutput(withCursor(ZInvitationOut)))
        .query(async ({ ctx, input }) =>
          (await listOrgInvitations(ctx.db, ctx.org.id, pageOf(input, "email"))).map((r) => ({
            ...invitationOut(r),
            cursor: encodeCursor({ sort: "email", key: r.emailKey, id: r.invitation.id }),
          })),
        ),

      revoke: orgProcedure("org:manage")
        .input(z.object({ invitationId: ZId }))
        .output(ZInvitationOut)
        .mutation(({ ctx, input }) =>
          revokeInvitation(ctx.db, { orgId: ctx.org.id }, actorOf(ctx), input.invitationId),
        ),
    }),

    updateRole: orgProcedure("org:manage")
      .input(z.object({ userId: ZId, role: ZOrgRole }))
      .output(ok)
      .mutation(async ({ ctx, input }) => {
        await updateOrgMemberRole(ctx.db, ctx.org.id, actorOf(ctx), input.userId, input.role);
        return { ok: true as const };
      }),

    remove: orgProcedure("org:manage")
      .input(z.object({ userId: ZId }))
      .output(ok)
      .mutation(async ({ ctx, input }) => {
        await removeOrgMember(ctx.db, ctx.org.id, actorOf(ctx), input.userId);
        return { ok: true as const };
      }),
  }),
});

function pickOrg(org: { id: string; name: string; slug: string; description: string; createdAt: Date }) {
  return { id: org.id, name: org.name, slug: org.slug, description: org.description, createdAt: org.createdAt };
}
