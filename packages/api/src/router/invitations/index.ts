import { z } from "zod";
import { listInvitationsForEmail } from "@lockstep/db";
import { encodeCursor, ZId } from "@lockstep/validators";
import { pageOf, pageOutput, withCursor, ZPageInput } from "../../paging";
import { acceptInvitation, declineInvitation, invitationOut } from "../../services/invitations";
import { authedProcedure, router } from "../../trpc";
import { actorOf } from "../../actor";
import { ZInvitationOut } from "../shapes";

/** The caller's own invitations: addressed to their account's email, answered by them alone. */
export const invitationsRouter = router({
  /** Pending, unexpired invitations to the caller's email, oldest first. */
  list: authedProcedure
    .input(ZPageInput.default({ limit: 50 }))
    .output(pageOutput(withCursor(ZInvitationOut)))
    .query(async ({ ctx, input }) =>
      (await listInvitationsForEmail(ctx.db, ctx.user.email, pageOf(input, "created"))).map((r) => ({
        ...invitationOut(r),
        cursor: encodeCursor({ sort: "created", key: r.createdKey, id: r.invitation.id }),
      })),
    ),

  /** Joins the organization or workspace with the invited role. Someone else's invitation is NOT_FOUND. */
  accept: authedProcedure
    .input(z.object({ invitationId: ZId }))
    .output(ZInvitationOut)
    .mutation(({ ctx, input }) => acceptInvitation(ctx.db, ctx.user, actorOf(ctx), input.invitationId)),

  decline: authedProcedure
    .input(z.object({ invitationId: ZId }))
    .output(ZInvitationOut)
    .mutation(({ ctx, input }) => declineInvitation(ctx.db, ctx.user, actorOf(ctx), input.invitationId)),
});
