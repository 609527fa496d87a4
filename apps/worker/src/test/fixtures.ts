import { randomUUID } from "node:crypto";
import { resolve } from "node:path";
import type { Redis } from "ioredis";
import { createCaller } from "@lockstep/api";
import { createRateLimiter } from "@lockstep/auth";
import { createUserWithPersonalWorkspace, getRun, type TDatabase, type TRun } from "@lockstep/db";
import type { TQueues } from "@lockstep/queue";
import { isSecretsSettled, isTerminalRunStatus } from "@lockstep/validators";
import {
  inviteToWorkspace,
  makeInstanceAdmin,
  makeTestKeys,
  orgWorkspace,
  type TTestKeys,
  type TWorkspaceRole,
} from "@lockstep/vitest-config/fixtures";

/** Test helpers shared by the lifecycle suites: keys, API callers, a workspace with secrets, waiting on a run. */

/** A fresh key pair named `kid` (keyrings, and the specs a worker process reads); the shared fixtures' builder. */
export const testKeys = makeTestKeys;

type TKeys = TTestKeys;

export { makeInstanceAdmin };

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
  input: { workspaceId: string; user: { id: string; email: string }; role: TWorkspaceRole },
) {
  return inviteToWorkspace(inviter, apiCaller(deps, input.user.id), {
    workspaceId: input.workspaceId,
    email: input.user.email,
    role: input.role,
  });
}

/**
 * An org workspace with an owner (an instance admin unless `ownerIsInstanceAdmin` is false) and a launch-role
 * participant who joined by invitation and acceptance (the shared fixtures' `orgWorkspace`).
 */
export async function workspaceWithLauncher(
  deps: { db: TDatabase; redis: Redis; queues: TQueues; keys: Pick<TKeys, "sealing"> },
  names: { org: string; slug: string; workspace: string; ownerIsInstanceAdmin?: boolean },
) {
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
  const caller = (userId: string) => apiCaller(deps, userId);
  const { ws, asOwner } = await orgWorkspace(db, caller, {
    owner,
    participants: { launcher },
    roles: { launcher: "launch" },
    org: { name: names.org, slug: `${names.slug}-${owner.id.slice(0, 8)}` },
    workspaceName: names.workspace,
    ownerIsInstanceAdmin: names.ownerIsInstanceAdmin ?? true,
  });
  return { ws, owner, launcher, launcherId: launcher.id, asOwner, asLauncher: caller(launcher.id) };
}

/**
 * `workspaceWithLauncher` whose workspace holds DB_PASSWORD and API_TOKEN, the launcher a personal API_TOKEN
 * that must win. Values carry a MARKER to search for.
 */
export async function workspaceWithSecrets(
  deps: { db: TDatabase; redis: Redis; queues: TQueues; keys: Pick<TKeys, "sealing"> },
  names: { org: string; slug: string; workspace: string } = { org: "Cloud", slug: "cloud", workspace: "Cloud runs" },
) {
  const { ws, asOwner, asLauncher, launcherId } = await workspaceWithLauncher(deps, names);
  const values = {
    db: `db-MARKER-${randomUUID()}`,
    wsToken: `ws-MARKER-${randomUUID()}`,
    userToken: `user-MARKER-${randomUUID()}`,
  };
  await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: values.db } });
  await asOwner.secrets.create({ workspaceId: ws.id, name: "API_TOKEN", value: { plain: values.wsToken } });
  await asLauncher.userSecrets.create({ name: "API_TOKEN", value: { plain: values.userToken } });
  return { ws, asOwner, asLauncher, launcherId, values };
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
