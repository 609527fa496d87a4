import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { TRateLimiter } from "@lockstep/auth";
import postgres from "postgres";
import { afterAll, inject } from "vitest";
import { formatKeySpecs, generateKeyPair, OpeningKeyring, SealingKeyring } from "@lockstep/crypto";
import { createQueues, createRedis } from "@lockstep/queue";
import { createDatabase, createUserWithPersonalWorkspace, eq, schema, type TDatabase } from "@lockstep/db";
import { runMigrations } from "@lockstep/db/migrate";
import { appRouter, createCaller } from "../root";
import type { TContext, TMeta } from "../trpc";

/** A limiter that never limits, for tests about something else (rate limits have their own test). */
export const noLimits: TRateLimiter = { hit: async () => null, reset: async () => {} };

/** One key pair per test process: the API gets the public half, tests may open with the private. */
export const testKeys = await (async () => {
  const pair = await generateKeyPair("test-k1");
  return {
    sealing: await SealingKeyring.fromSpec(formatKeySpecs([{ kid: pair.kid, key: pair.publicKey }])),
    opening: await OpeningKeyring.fromSpec(formatKeySpecs([{ kid: pair.kid, key: pair.privateKey }])),
    publicKey: pair.publicKey,
  };
})();

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

/** A user with a personal workspace (no instance admin, no sign-up policy: a fixture, not a sign-up). */
export async function makeUser(db: TDatabase, label = "user") {
  const tag = randomUUID().slice(0, 8);
  const user = await createUserWithPersonalWorkspace(db, {
    email: `${label}-${tag}@example.test`,
    name: `${label} ${tag}`,
    passwordHash: null,
  });
  if (!user) throw new Error("fixture user already exists");
  const [personal] = await db.select().from(schema.workspaces).where(eq(schema.workspaces.personalOwnerId, user.id));
  return { ...user, personalWorkspaceId: personal!.id };
}

/** Makes a user an instance admin directly in the database (as the first account of an instance is). */
export async function makeInstanceAdmin(db: TDatabase, userId: string, isInstanceAdmin = true) {
  await db.update(schema.users).set({ isInstanceAdmin }).where(eq(schema.users.id, userId));
}

/** The instance admin of an empty instance (who, in a real one, claimed it with the setup code). */
export async function makeAdmin(db: TDatabase, label = "admin") {
  const user = await makeUser(db, label);
  await makeInstanceAdmin(db, user.id);
  return { ...user, isInstanceAdmin: true };
}

/** A user who is certainly not an instance admin (accounts are not admins unless made so). */
export async function makePlainUser(db: TDatabase, label = "user") {
  const user = await makeUser(db, label);
  await makeInstanceAdmin(db, user.id, false);
  return { ...user, isInstanceAdmin: false };
}

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
  input: {
    workspaceId: string;
    user: { id: string; email: string };
    role: Parameters<TCaller["workspaces"]["participants"]["add"]>[0]["role"];
  },
) {
  const invitation = await inviter.workspaces.participants.add({
    workspaceId: input.workspaceId,
    email: input.user.email,
    role: input.role,
  });
  return callerFor(db, input.user.id).invitations.accept({ invitationId: invitation.id });
}

/** The same for an organization: invited, then accepted by the member. */
export async function addOrgMember(
  db: TDatabase,
  inviter: TCaller,
  input: { orgId: string; user: { id: string; email: string }; role: "owner" | "member" | "collaborator" },
) {
  const invitation = await inviter.orgs.members.add({ orgId: input.orgId, email: input.user.email, role: input.role });
  return callerFor(db, input.user.id).invitations.accept({ invitationId: invitation.id });
}
