import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { TRateLimiter } from "@lockstep/auth";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import { createQueues, createRedis } from "@lockstep/queue";
import { createDatabase, type TDatabase } from "@lockstep/db";
import { runMigrations } from "@lockstep/db/migrate";
import {
  callerFixtures,
  inviteToOrg,
  inviteToWorkspace,
  makeTestKeys,
  type TOrgRole,
  type TWorkspaceRole,
} from "@lockstep/vitest-config/fixtures";
import { appRouter, createCaller } from "../root";
import type { TContext, TMeta } from "../trpc";

/** A limiter that never limits, for tests about something else (rate limits have their own test). */
export const noLimits: TRateLimiter = { hit: async () => null, reset: async () => {} };

/** One key pair per test process: the API gets the public half, tests may open with the private. */
export const testKeys = await makeTestKeys("test-k1");

/** Real queues in the integration Redis, under a prefix of this test file's own. */
const queueRedis = createRedis(inject("redisUrl"), "worker");
export const queuePrefix = `it-api-${randomUUID().slice(0, 8)}`;
export const testQueues = createQueues(queueRedis, queuePrefix);
afterAll(async () => {
  await testQueues.close();
  await queueRedis.quit();
});

/** The e2e fixture pipelines (real directories holding main.nf): the allowed local pipeline root in API tests. */
export const pipelinesRoot = resolve(import.meta.dirname, "../../../../e2e/fixtures/pipelines");

/** Overrides of the test context; `config` is merged field by field with the defaults. */
export type TContextOverrides = Partial<Omit<TContext, "config">> & { config?: Partial<TContext["config"]> };

export function contextFor(db: TDatabase, userId: string | null, overrides: TContextOverrides = {}): TContext {
  const { config, ...rest } = overrides;
  return {
    db,
    sealing: testKeys.sealing,
    queues: testQueues,
    pingRedis: async () => 0,
    limiter: noLimits,
    identity: userId ? { userId, via: "session" } : null,
    ip: "127.0.0.1",
    userAgent: "vitest",
    ...rest,
    config: { signup: "invite", localPipelineRoots: [pipelinesRoot], tokenMaxDays: 90, ...config },
  };
}

export function callerFor(db: TDatabase, userId: string | null, overrides: TContextOverrides = {}) {
  return createCaller(contextFor(db, userId, overrides));
}

// The user builders are the shared fixtures' (tooling/vitest/fixtures.ts).
export { makeAdmin, makeInstanceAdmin, makePlainUser, makeUser } from "@lockstep/vitest-config/fixtures";

/** Each procedure path of the router with its metadata (which permission it checks, if any). */
export function procedureMeta(): Array<[string, TMeta]> {
  const procedures = appRouter._def.procedures as Record<string, { _def?: { meta?: TMeta } }>;
  return Object.entries(procedures).map(([path, p]) => [path, p._def?.meta ?? {}]);
}

/** A new, migrated database on the same server, for tests that need an empty instance. */
export async function freshDatabase(baseUrl: string) {
  const name = `it_${randomUUID().replace(/-/g, "").slice(0, 16)}`;
  const admin = postgres(baseUrl, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return createDatabase(url.toString(), { max: 2 });
}

type TCaller = ReturnType<typeof callerFor>;

/**
 * Adds `user` to a workspace as adding a participant now works: the inviter invites their email,
 * and they accept the invitation themselves. Returns the (accepted) invitation.
 */
export async function addParticipant(
  db: TDatabase,
  inviter: TCaller,
  input: { workspaceId: string; user: { id: string; email: string }; role: TWorkspaceRole },
) {
  return inviteToWorkspace(inviter, callerFor(db, input.user.id), {
    workspaceId: input.workspaceId,
    email: input.user.email,
    role: input.role,
  });
}

/** The same for an organization: invited, then accepted by the member. */
export async function addOrgMember(
  db: TDatabase,
  inviter: TCaller,
  input: { orgId: string; user: { id: string; email: string }; role: TOrgRole },
) {
  return inviteToOrg(inviter, callerFor(db, input.user.id), {
    orgId: input.orgId,
    email: input.user.email,
    role: input.role,
  });
}

/**
 * The shared vitest fixtures (`db`, `keys`, `admin`, `user`, `workspace`) with `as(user)` being this
 * package's caller: the test context above, sealing with the file's `keys`.
 */
export const apiTest = callerFixtures(({ db, keys }, userId) => callerFor(db, userId, { sealing: keys.sealing }));
