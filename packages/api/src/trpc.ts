import { initTRPC, TRPCError } from "@trpc/server";
import { z, ZodError } from "zod";
import {
  can,
  effectiveWorkspaceRole,
  orgCan,
  requiredScope,
  scopeRefusal,
  type TOrgPermission,
  type TPermission,
  type TRateLimiter,
} from "@lockstep/auth";
import type { SealingKeyring } from "@lockstep/crypto";
import {
  findUserById,
  orgMembership,
  workspaceAccessFacts,
  type TDatabase,
  type TRunEventSource,
  type TSignupPolicy,
  type TUser,
} from "@lockstep/db";
import type { TQueues } from "@lockstep/queue";
import { AppError, toTRPCError } from "./errors";
import { apiTransformer } from "./transformer";

/**
 * Who calls: a browser session, or an access token with its scopes (checked per procedure). `user`:
 * the row read while authenticating (services/authenticate.ts), so it is not fetched twice.
 */
export type TIdentity = (
  { userId: string; via: "session" } | { userId: string; via: "token"; tokenId: string; scopes: readonly string[] }
) & { user?: TUser };

export type TContext = {
  db: TDatabase;
  /** Pings Redis; injected so the API does not own the connection. */
  pingRedis: () => Promise<number>;
  limiter: TRateLimiter;
  /** Public keys only: the web tier can seal, never open. */
  sealing: SealingKeyring;
  /** Producer side of the job queues (enqueue only). */
  queues: TQueues;
  identity: TIdentity | null;
  /** Run changes announced by Postgres (LISTEN), for runs.onChange; absent where nothing listens. */
  runEvents?: TRunEventSource;
  config: {
    /** LOCKSTEP_SIGNUP: the sign-up policy until an instance admin saves one on the Instance settings page. */
    signup: TSignupPolicy;
    /** LOCKSTEP_LOCAL_PIPELINE_ROOTS: where local-path pipelines may live; empty refuses every local path. */
    localPipelineRoots: readonly string[];
    /** LOCKSTEP_TOKEN_MAX_DAYS: the longest lifetime an access token may be created with. */
    tokenMaxDays: number;
  };
  ip: string | null;
  userAgent: string | null;
};

/**
 * Procedure metadata: which permission a tenant-scoped procedure checks, or that it is for instance
 * admins only (read by the role-matrix test).
 */
export type TMeta = {
  permission?: TPermission;
  orgPermission?: TOrgPermission;
  instanceAdmin?: true;
  /** Subscriptions: the schema every event is checked against before it is sent (read by the output-schema test). */
  events?: z.ZodType;
};

const t = initTRPC
  .context<TContext>()
  .meta<TMeta>()
  .create({
    // superjson on the wire; plain-JSON answers skip its walk (transformer.ts).
    transformer: apiTransformer,
    errorFormatter({ shape, error }) {
      // Field messages from zod so a form can show each next to its input; never the input itself.
      // A domain error about one input (a name already taken) travels the same way.
      const details = error.cause instanceof AppError ? error.cause.details : undefined;
      const onFields = details?.filter((d): d is typeof d & { field: string } => d.field !== undefined) ?? [];
      const fieldErrors =
        error.cause instanceof ZodError
          ? Object.fromEntries(error.cause.issues.map((i) => [i.path.join(".") || "input", i.message]))
          : onFields.length > 0
            ? Object.fromEntries(onFields.map((d) => [d.field, d.message]))
            : undefined;
      return { ...shape, data: { ...shape.data, stack: undefined, fieldErrors, details } };
    },
  });

/** "field: message; field: message" — names each field and rule, never echoes the input. */
function describeZodError(error: ZodError): string {
  return error.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`).join("; ");
}

// Runs around everything after it, input parsing included, so callers (HTTP or createCaller)
// get domain errors as their tRPC code and validation errors as one readable message.
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok) {
    const cause = result.error.cause;
    if (cause instanceof AppError) throw toTRPCError(cause);
    if (cause instanceof ZodError && result.error.code === "BAD_REQUEST") {
      throw new TRPCError({ code: "BAD_REQUEST", message: describeZodError(cause), cause });
    }
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(mapAppErrors);

/**
 * A signed-in user, by session cookie or `Authorization: Bearer` access token. A token must carry
 * the scope the procedure needs (`requiredScope` in @lockstep/auth: one table for the whole API);
 * some procedures need a session.
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, path, type, meta, next }) => {
  if (!ctx.identity) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: "Sign in, or send an access token as Authorization: Bearer.",
    });
  }
  // Who it is first (401), then what the token may do (403).
  const user = ctx.identity.user ?? (await findUserById(ctx.db, ctx.identity.userId));
  if (!user) throw new TRPCError({ code: "UNAUTHORIZED", message: "This account no longer exists." });
  // Checked on every request, session or token alike: disabling an account takes effect at once.
  if (user.disabledAt)
    throw new TRPCError({ code: "UNAUTHORIZED", message: "This account has been disabled by an instance admin." });
  if (ctx.identity.via === "token") {
    const refusal = scopeRefusal(
      ctx.identity.scopes,
      requiredScope({ path, type, instanceAdmin: meta?.instanceAdmin === true }),
    );
    if (refusal) throw new TRPCError({ code: "FORBIDDEN", message: refusal });
  }
  return next({ ctx: { ...ctx, identity: ctx.identity, user } });
});

/**
 * Instance administration. Being an instance admin gives no role in any workspace; it gives these
 * procedures, and the right to create and edit compute environments that run on Lockstep's own
 * machines. Everyone else gets FORBIDDEN: the procedures are no secret, only their use is.
 */
export const instanceAdminProcedure = authedProcedure.meta({ instanceAdmin: true }).use(async ({ ctx, next }) => {
  if (!ctx.user.isInstanceAdmin) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "Only an instance admin can do this; ask one of this instance's admins.",
    });
  }
  return next({ ctx });
});

/**
 * Loads the workspace named by `input.workspaceId` and the caller's role in it. A workspace the
 * caller cannot see answers NOT_FOUND (no probing); a visible one without the permission FORBIDDEN.
 */
export function workspaceProcedure(permission: TPermission) {
  return authedProcedure
    .meta({ permission })
    .input(z.object({ workspaceId: z.uuid({ error: "workspaceId must be an id (UUID)." }) }))
    .use(async ({ ctx, input, next }) => {
      const facts = await workspaceAccessFacts(ctx.db, ctx.user.id, input.workspaceId);
      const role = facts
        ? effectiveWorkspaceRole({
            personalOwnerId: facts.workspace.personalOwnerId,
            visibility: facts.workspace.visibility,
            participantRole: facts.participantRole,
            orgRole: facts.orgRole,
            userId: ctx.user.id,
          })
        : null;
      if (!facts || !role) throw new TRPCError({ code: "NOT_FOUND", message: "No such workspace." });
      if (!can(role, permission)) {
        throw new TRPCError({
          code: "FORBIDDEN",
          message: `Your role in this workspace (${role}) does not allow this (${permission}).`,
        });
      }
      return next({
        ctx: { ...ctx, workspace: facts.workspace, orgName: facts.orgName, role, orgRole: facts.orgRole },
      });
    });
}

/** Same for organizations, keyed by `input.orgId`. */
export function orgProcedure(permission: TOrgPermission) {
  return authedProcedure
    .meta({ orgPermission: permission })
    .input(z.object({ orgId: z.uuid({ error: "orgId must be an id (UUID)." }) }))
    .use(async ({ ctx, input, next }) => {
      const membership = await orgMembership(ctx.db, ctx.user.id, input.orgId);
      if (!membership) throw new TRPCError({ code: "NOT_FOUND", message: "No such organization." });
      if (!orgCan(membership.role, permission)) {
        throw new TRPCError({
          code: "FORBIDDEN",
          message: `Your role in this organization (${membership.role}) does not allow this (${permission}).`,
        });
      }
      return next({ ctx: { ...ctx, org: membership.org, orgRole: membership.role } });
    });
}
