import { z } from "zod";
import { ZIsoDate } from "../shapes";
import {
  countInstanceAdmins,
  getInstanceSettings,
  hostComputeEnvsPolicies,
  listInstanceAuditEvents,
  listUsersPage,
  signupPolicies,
  type TDatabase,
  type TSignupPolicy,
} from "@lockstep/db";
import { ZCidrList, ZId } from "@lockstep/validators";
import {
  endUserSessions,
  personOf,
  setUserDisabledByAdmin,
  setUserInstanceAdmin,
  updateInstanceSettings,
} from "../../services/instance";
import { actorOf } from "../../actor";
import { instanceAdminProcedure, router } from "../../trpc";

const ZHostComputeEnvs = z.enum(hostComputeEnvsPolicies);
const ZSignupPolicy = z.enum(signupPolicies);

const ZInstanceUserOut = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  isInstanceAdmin: z.boolean(),
  /** When an instance admin disabled the account; null while it is active. */
  disabledAt: ZIsoDate.nullable(),
  createdAt: ZIsoDate,
});

const ZInstanceOut = z.object({
  /** Who may create and edit local and host-Slurm compute environments. */
  hostComputeEnvs: ZHostComputeEnvs,
  /** Who may create an account: `policy` is in force; `saved` (set here) wins over `environment` (LOCKSTEP_SIGNUP). */
  signup: z.object({ policy: ZSignupPolicy, saved: ZSignupPolicy.nullable(), environment: ZSignupPolicy }),
  /** Webhooks: plain http allowed, and networks exempt from the private-address block (docs/webhooks.md). */
  webhooks: z.object({ allowHttp: z.boolean(), allowedNetworks: z.array(z.string()) }),
  updatedAt: ZIsoDate.nullable(),
  updatedBy: z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable(),
  /** LOCKSTEP_LOCAL_PIPELINE_ROOTS as the web app read it (set in the environment, not here). */
  localPipelineRoots: z.array(z.string()),
  /** The latest instance-level audit events (settings and admin changes). */
  recentChanges: z.array(
    z.object({
      id: z.string(),
      at: ZIsoDate,
      action: z.string(),
      actorEmail: z.string().nullable(),
      ip: z.string().nullable(),
      targetName: z.string().nullable(),
      detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()])),
    }),
  ),
});

async function instanceOut(
  db: TDatabase,
  config: { localPipelineRoots: readonly string[]; signup: TSignupPolicy },
): Promise<z.input<typeof ZInstanceOut>> {
  const { localPipelineRoots } = config;
  const settings = await getInstanceSettings(db);
  const events = await listInstanceAuditEvents(db, 10);
  return {
    hostComputeEnvs: settings.hostComputeEnvs,
    signup: { policy: settings.signup ?? config.signup, saved: settings.signup, environment: config.signup },
    webhooks: { allowHttp: settings.webhooksAllowHttp, allowedNetworks: settings.webhooksAllowedNetworks },
    updatedAt: settings.updatedAt,
    updatedBy: await personOf(db, settings.updatedBy),
    localPipelineRoots: [...localPipelineRoots],
    recentChanges: events.map((e) => ({
      id: e.id,
      at: e.at,
      action: e.action,
      actorEmail: e.actorEmail,
      ip: e.ip,
      targetName: e.targetName,
      detail: e.detail,
    })),
  };
}

/** Instance administration: instance admins only (everyone else gets FORBIDDEN). */
export const instanceRouter = router({
  get: instanceAdminProcedure.output(ZInstanceOut).query(({ ctx }) => instanceOut(ctx.db, ctx.config)),

  /** Changes the settings given. `signup: null` goes back to LOCKSTEP_SIGNUP; a saved policy wins over it. */
  update: instanceAdminProcedure
    .input(
      z.object({
        hostComputeEnvs: ZHostComputeEnvs.optional(),
        signup: ZSignupPolicy.nullable().optional(),
        webhooksAllowHttp: z.boolean().optional(),
        webhooksAllowedNetworks: ZCidrList.optional(),
      }),
    )
    .output(ZInstanceOut)
    .mutation(async ({ ctx, input }) => {
      await updateInstanceSettings(ctx.db, actorOf(ctx), input);
      return instanceOut(ctx.db, ctx.config);
    }),

  users: router({
    /** Every account of the instance, oldest first, a page at a time; `search` matches email or name. */
    list: instanceAdminProcedure
      .input(
        z
          .object({
            page: z.number().int().min(1).default(1),
            pageSize: z.number().int().min(1).max(100).default(25),
            search: z.string().trim().max(200).optional(),
          })
          .default({ page: 1, pageSize: 25 }),
      )
      .output(
        z.object({
          items: z.array(ZInstanceUserOut),
          total: z.number(),
          page: z.number(),
          pageSize: z.number(),
          /** Instance admins in all (whatever the search), so a client can tell the last one. */
          admins: z.number(),
        }),
      )
      .query(async ({ ctx, input }) => {
        const { items, total } = await listUsersPage(ctx.db, {
          limit: input.pageSize,
          offset: (input.page - 1) * input.pageSize,
          search: input.search || undefined,
        });
        return { items, total, page: input.page, pageSize: input.pageSize, admins: await countInstanceAdmins(ctx.db) };
      }),

    /** Grants or revokes instance admin (never the last one). */
    setAdmin: instanceAdminProcedure
      .input(z.object({ userId: ZId, isInstanceAdmin: z.boolean() }))
      .output(ZInstanceUserOut)
      .mutation(({ ctx, input }) => setUserInstanceAdmin(ctx.db, actorOf(ctx), input.userId, input.isInstanceAdmin)),

    /** Disables (sessions end, tokens refused, no sign-in) or enables an account; never yourself or the last admin. */
    setDisabled: instanceAdminProcedure
      .input(z.object({ userId: ZId, disabled: z.boolean() }))
      .output(ZInstanceUserOut)
      .mutation(({ ctx, input }) => setUserDisabledByAdmin(ctx.db, actorOf(ctx), input.userId, input.disabled)),

    /** Ends every browser session of the user; they can sign in again. */
    endSessions: instanceAdminProcedure
      .input(z.object({ userId: ZId }))
      .output(z.object({ ok: z.literal(true) }))
      .mutation(({ ctx, input }) => endUserSessions(ctx.db, actorOf(ctx), input.userId)),
  }),
});
