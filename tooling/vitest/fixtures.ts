import { randomUUID } from "node:crypto";
import { inject, test } from "vitest";
import type { orgRoles, workspaceRoles } from "@lockstep/auth";
import { formatKeySpecs, generateKeyPair, OpeningKeyring, SealingKeyring } from "@lockstep/crypto";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";
import { createDatabase, createUserWithPersonalWorkspace, eq, schema, type TDatabase } from "@lockstep/db";

/**
 * The test fixtures every integration suite builds the same way: keys, a database, users, instance admins,
 * and an organization workspace whose participants joined by invitation and acceptance. Builders for
 * suites that set up at module level, and `fixtureTest` / `callerFixtures` (vitest `test.extend`) for
 * tests that take them as fixtures. Nothing here imports @lockstep/api (which depends on this package
 * for its tests): the invitation builders take the callers they act through.
 */

// ---- keys ----

/** One test key pair in every shape a suite needs: keyrings for in-process code, specs for a worker process. */
export type TTestKeys = {
  kid: string;
  /** Base64url public key (the API hands it to browsers). */
  publicKey: string;
  /** Base64url private key (what must never leak: suites search for it). */
  privateKey: string;
  /** The public half as a key spec (`kid:key`), as LOCKSTEP_SEAL_KEYS takes it. */
  sealKeys: string;
  /** The private half as a key spec, as the worker's open-keys file holds it. */
  openKeys: string;
  /** A fingerprint key spec, as the worker's fingerprint key file holds it. */
  fingerprintSpec: string;
  sealing: SealingKeyring;
  opening: OpeningKeyring;
  fingerprint: FingerprintKey;
};

/** A fresh key pair named `kid` (and a fingerprint key `<kid>-fp`). */
export async function makeTestKeys(kid: string): Promise<TTestKeys> {
  const pair = await generateKeyPair(kid);
  const sealKeys = formatKeySpecs([{ kid: pair.kid, key: pair.publicKey }]);
  const openKeys = formatKeySpecs([{ kid: pair.kid, key: pair.privateKey }]);
  const fingerprintSpec = FingerprintKey.generateSpec(`${kid}-fp`);
  return {
    kid: pair.kid,
    publicKey: pair.publicKey,
    privateKey: pair.privateKey,
    sealKeys,
    openKeys,
    fingerprintSpec,
    sealing: await SealingKeyring.fromSpec(sealKeys),
    opening: await OpeningKeyring.fromSpec(openKeys),
    fingerprint: FingerprintKey.fromSpec(fingerprintSpec),
  };
}

/**
 * The keys after a rotation: `next` seals (its key is active), and both open — what `previous` sealed
 * still opens until it is re-sealed.
 */
export async function rotatedTestKeys(next: TTestKeys, previous: TTestKeys): Promise<TTestKeys> {
  const sealKeys = `${next.sealKeys},${previous.sealKeys}`;
  const openKeys = `${previous.openKeys},${next.openKeys}`;
  return {
    ...next,
    sealKeys,
    openKeys,
    sealing: await SealingKeyring.fromSpec(sealKeys),
    opening: await OpeningKeyring.fromSpec(openKeys),
  };
}

// ---- users ----

export type TTestUser = Awaited<ReturnType<typeof makeUser>>;

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

// ---- membership by invitation ----

export type TWorkspaceRole = (typeof workspaceRoles)[number];
export type TOrgRole = (typeof orgRoles)[number];

/** The part of an API caller that invites (structurally: any tRPC caller of the app router fits). */
export type TInvitingCaller = {
  workspaces: {
    participants: {
      add(input: { workspaceId: string; email: string; role: TWorkspaceRole }): Promise<{ id: string }>;
    };
  };
  orgs: { members: { add(input: { orgId: string; email: string; role?: TOrgRole }): Promise<{ id: string }> } };
};

/** The part of an API caller that accepts an invitation. */
export type TAcceptingCaller<TAccepted> = {
  invitations: { accept(input: { invitationId: string }): Promise<TAccepted> };
};

/**
 * Adds a user to a workspace as adding a participant works: the inviter invites their email, and they
 * accept the invitation themselves (`invitee` is the API as that user). Returns the accepted invitation.
 */
export async function inviteToWorkspace<TAccepted>(
  inviter: TInvitingCaller,
  invitee: TAcceptingCaller<TAccepted>,
  input: { workspaceId: string; email: string; role: TWorkspaceRole },
): Promise<TAccepted> {
  const invitation = await inviter.workspaces.participants.add(input);
  return invitee.invitations.accept({ invitationId: invitation.id });
}

/** The same for an organization: invited, then accepted by the member. */
export async function inviteToOrg<TAccepted>(
  inviter: TInvitingCaller,
  invitee: TAcceptingCaller<TAccepted>,
  input: { orgId: string; email: string; role: TOrgRole },
): Promise<TAccepted> {
  const invitation = await inviter.orgs.members.add(input);
  return invitee.invitations.accept({ invitationId: invitation.id });
}

// ---- an organization workspace ----

/** The part of an API caller that creates an organization and a workspace in it. */
export type TCreatingCaller = TInvitingCaller &
  TAcceptingCaller<unknown> & {
    orgs: { create(input: { name: string; slug: string }): Promise<{ id: string }> };
    workspaces: { create(input: { orgId: string; name: string }): Promise<{ id: string }> };
  };

/**
 * An organization and a workspace in it, created by `owner` (made an instance admin unless
 * `ownerIsInstanceAdmin` is false: host compute environments are theirs to set up), with each of
 * `participants` invited with its role and accepted.
 */
export async function orgWorkspace<TCaller extends TCreatingCaller, TRoles extends Record<string, TWorkspaceRole>>(
  db: TDatabase,
  callerFor: (userId: string) => TCaller,
  options: {
    owner: { id: string; email: string };
    participants: { [K in keyof TRoles]: { id: string; email: string } };
    roles: TRoles;
    org?: { name: string; slug: string };
    workspaceName?: string;
    ownerIsInstanceAdmin?: boolean;
  },
) {
  const { owner } = options;
  if (options.ownerIsInstanceAdmin ?? true) await makeInstanceAdmin(db, owner.id);
  const asOwner = callerFor(owner.id);
  const org = (await asOwner.orgs.create(
    options.org ?? { name: "Org", slug: `org-${owner.id.slice(0, 8)}` },
  )) as Awaited<ReturnType<TCaller["orgs"]["create"]>>;
  const ws = (await asOwner.workspaces.create({
    orgId: org.id,
    name: options.workspaceName ?? "Workspace",
  })) as Awaited<ReturnType<TCaller["workspaces"]["create"]>>;
  for (const [name, role] of Object.entries(options.roles)) {
    const user = options.participants[name]!;
    await inviteToWorkspace(asOwner, callerFor(user.id), { workspaceId: ws.id, email: user.email, role });
  }
  return { org, ws, asOwner };
}

// ---- vitest fixtures ----

/**
 * Fixtures of the integration project: `keys` and `db` once per test file (the database is the one the
 * global setup started), `admin` (an instance admin) and `user` (not one) fresh for each test.
 */
export const fixtureTest = test
  .extend("keys", { scope: "file" }, async () => makeTestKeys(`it-${randomUUID().slice(0, 8)}`))
  // vitest reads a fixture's dependencies from its first parameter, which must be a destructuring pattern.
  // eslint-disable-next-line no-empty-pattern
  .extend("db", { scope: "file" }, async ({}, { onCleanup }) => {
    const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
    onCleanup(close);
    return db;
  })
  .extend("admin", async ({ db }) => makeAdmin(db))
  .extend("user", async ({ db }) => makePlainUser(db));

/**
 * `fixtureTest` with the API: `as(user)` is the API as that user calls it (the package's own caller,
 * built on the file's `db` and `keys`), and `workspace` an organization workspace owned by `admin`
 * where `user` participates with the launch role (invited and accepted).
 */
export function callerFixtures<TCaller extends TCreatingCaller>(
  callerFor: (deps: { db: TDatabase; keys: TTestKeys }, userId: string) => TCaller,
) {
  return fixtureTest
    .extend(
      "as",
      async ({ db, keys }) =>
        (user: { id: string }) =>
          callerFor({ db, keys }, user.id),
    )
    .extend("workspace", async ({ db, keys, admin, user }) =>
      orgWorkspace(db, (userId) => callerFor({ db, keys }, userId), {
        owner: admin,
        participants: { launcher: user },
        roles: { launcher: "launch" },
      }),
    );
}
