import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { Redis } from "ioredis";
import { createCaller } from "@lockstep/api";
import { createRateLimiter } from "@lockstep/auth";
import { formatKeySpecs, generateKeyPair, OpeningKeyring, SealingKeyring } from "@lockstep/crypto";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { createUserWithPersonalWorkspace, eq, getRun, schema, type TDatabase, type TRun } from "@lockstep/db";
import type { TQueues } from "@lockstep/queue";
import { isSecretsSettled, isTerminalRunStatus } from "@lockstep/validators";

/** Test helpers shared by the lifecycle suites: keys, API callers, a workspace with secrets, waiting on a run. */

export async function testKeys(kid: string) {
  const pair = await generateKeyPair(kid);
  return {
    sealing: await SealingKeyring.fromSpec(formatKeySpecs([{ kid: pair.kid, key: pair.publicKey }])),
    opening: await OpeningKeyring.fromSpec(formatKeySpecs([{ kid: pair.kid, key: pair.privateKey }])),
    fingerprint: FingerprintKey.fromSpec(FingerprintKey.generateSpec(`${kid}-fp`)),
  };
}

type TKeys = Awaited<ReturnType<typeof testKeys>>;

/** The e2e fixture pipelines: the allowed local pipeline root for the API and the worker in these suites. */
export const pipelinesRoot = resolve(import.meta.dirname, "../../../../e2e/fixtures/pipelines");

/** The API as a signed-in user calls it, enqueueing onto `queues` (so a test picks which workers see the jobs). */
export function apiCaller(
  deps: { db: TDatabase; redis: Redis; queues: TQueues; keys: Pick<TKeys, "sealing"> },
  userId: string,
  config: { localPipelineRoots?: string[] } = {},
) {
  return createCaller({
    db: deps.db,
    pingRedis: async () => 0,
    limiter: createRateLimiter(deps.redis, `rl-${randomUUID().slice(0, 8)}`),
    sealing: deps.keys.sealing,
    queues: deps.queues,
    identity: { userId, via: "session" },
    config: { signup: "invite", localPipelineRoots: config.localPipelineRoots ?? [pipelinesRoot], tokenMaxDays: 90 },
    ip: null,
    userAgent: "vitest",
  });
}

type TApiCaller = ReturnType<typeof apiCaller>;

/**
 * Adds `user` to a workspace as adding a participant now works: the owner invites their email and
 * they accept the invitation themselves.
 */
export async function addParticipant(
  deps: { db: TDatabase; redis: Redis; queues: TQueues; keys: Pick<TKeys, "sealing"> },
  inviter: TApiCaller,
  input: {
    workspaceId: string;
    user: { id: string; email: string };
    role: Parameters<TApiCaller["workspaces"]["participants"]["add"]>[0]["role"];
  },
) {
  const invitation = await inviter.workspaces.participants.add({
    workspaceId: input.workspaceId,
    email: input.user.email,
    role: input.role,
  });
  return apiCaller(deps, input.user.id).invitations.accept({ invitationId: invitation.id });
}

/** Makes a user an instance admin directly in the database (local and host-Slurm environments are theirs to create). */
export async function makeInstanceAdmin(db: TDatabase, userId: string) {
  await db.update(schema.users).set({ isInstanceAdmin: true }).where(eq(schema.users.id, userId));
}

/**
 * An org workspace with an owner (an instance admin) and a launch-role participant; the workspace holds DB_PASSWORD and
 * API_TOKEN, the launcher a personal API_TOKEN that must win. Values carry a MARKER to search for.
 */
export async function workspaceWithSecrets(deps: { db: TDatabase; redis: Redis; queues: TQueues; keys: TKeys }) {
  const { db } = deps;
  const owner = (await createUserWithPersonalWorkspace(db, {
    email: `owner-${randomUUID()}@example.test`,
    name: "Owner",
    passwordHash: null,
  }))!;
  const launcher = (await createUserWithPersonalWorkspace(db, {
    email: `launcher-${randomUUID()}@example.test`,
    name: "Launcher",
    passwordHash: null,
  }))!;
  await makeInstanceAdmin(db, owner.id);
  const caller = (userId: string) => apiCaller(deps, userId);
  const asOwner = caller(owner.id);
  const org = await asOwner.orgs.create({ name: "Cloud", slug: `cloud-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Cloud runs" });
  await addParticipant(deps, asOwner, { workspaceId: ws.id, user: launcher, role: "launch" });
  const values = {
    db: `db-MARKER-${randomUUID()}`,
    wsToken: `ws-MARKER-${randomUUID()}`,
    userToken: `user-MARKER-${randomUUID()}`,
  };
  await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: values.db } });
  await asOwner.secrets.create({ workspaceId: ws.id, name: "API_TOKEN", value: { plain: values.wsToken } });
  const asLauncher = caller(launcher.id);
  await asLauncher.userSecrets.create({ name: "API_TOKEN", value: { plain: values.userToken } });
  return { ws, asOwner, asLauncher, values };
}

export async function waitForRun(
  db: TDatabase,
  runId: string,
  done: (run: TRun) => boolean,
  timeoutMs = 60_000,
): Promise<TRun> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const run = (await getRun(db, runId))!;
    if (done(run)) return run;
    if (Date.now() > deadline)
      throw new Error(`run ${runId} stuck at ${run.status}/${run.secretsState}: ${run.errorMessage ?? ""}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The run has ended and its secrets are settled one way or the other. */
export const settled = (run: TRun) => isTerminalRunStatus(run.status) && isSecretsSettled(run.secretsState);
