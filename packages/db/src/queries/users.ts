import { and, eq, isNull, sql } from "drizzle-orm";
import type { TDatabase, TDbOrTx, TTx } from "../client";
import { accessTokens, oidcAccounts, users, workspaceParticipants, workspaces, type TUser } from "../schema";
import { hasLiveInvitation } from "./invitations";
import { keysetAfter, keysetKey, keysetOrder, nameContains, type TKeyset, type TPage } from "./paging";
import { prepared, slot } from "./prepared";
import type { TSignupPolicy } from "./instance";
import { ACCOUNTS_LOCK, consumeSetupCode, instanceHasAdmin, setupCodeMatches } from "./setup";

export async function findUserByEmail(db: TDbOrTx, email: string) {
  const [row] = await db
    .select()
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return row ?? null;
}

export async function findUserById(db: TDbOrTx, id: string) {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

type TNewUser = {
  email: string;
  name: string;
  passwordHash: string | null;
  oidc?: { provider: string; subject: string };
};

/** Inserts the user, their personal workspace (they own it) and the OIDC link, inside `tx`. */
async function insertUser(tx: TTx, input: TNewUser & { isInstanceAdmin: boolean }) {
  const [user] = await tx
    .insert(users)
    .values({
      email: input.email.toLowerCase(),
      name: input.name,
      passwordHash: input.passwordHash,
      isInstanceAdmin: input.isInstanceAdmin,
    })
    .returning();
  if (!user) throw new Error("user insert returned nothing");
  const [workspace] = await tx
    .insert(workspaces)
    .values({ personalOwnerId: user.id, name: `${input.name}'s workspace`, slug: "personal", visibility: "private" })
    .returning();
  await tx.insert(workspaceParticipants).values({ workspaceId: workspace!.id, userId: user.id, role: "owner" });
  if (input.oidc) await tx.insert(oidcAccounts).values({ userId: user.id, ...input.oidc });
  return user;
}

async function emailTaken(tx: TTx, email: string) {
  const [existing] = await tx
    .select({ id: users.id })
    .from(users)
    .where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return existing !== undefined;
}

/**
 * Creates a user and their personal workspace, with no policy check: for tests and tooling. Real
 * sign-ups go through `registerUser`. Returns null when the email is already registered.
 */
export async function createUserWithPersonalWorkspace(db: TDatabase, input: TNewUser & { isInstanceAdmin?: boolean }) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${ACCOUNTS_LOCK})`);
    if (await emailTaken(tx, input.email)) return null;
    return insertUser(tx, { ...input, isInstanceAdmin: input.isInstanceAdmin ?? false });
  });
}

export type TRegistration =
  | { status: "created"; user: TUser; claimedAdmin: boolean }
  /** The email has an account already (nothing changed). */
  | { status: "exists" }
  /** The instance has no admin: only the setup code creates an account, and that account is the admin. */
  | { status: "needs-setup-code" }
  | { status: "refused"; policy: "off" | "invite" };

/**
 * Creates an account if the instance lets this email have one: while no admin exists only with
 * the setup code (the account becomes the admin and the code is used up); otherwise as the
 * sign-up policy says (`invite`: the email needs a live invitation). One advisory lock makes the
 * admin claim and "first" exact under concurrent sign-ups.
 */
export async function registerUser(
  db: TDatabase,
  input: TNewUser & { setupCode: string | null; policy: TSignupPolicy },
): Promise<TRegistration> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${ACCOUNTS_LOCK})`);
    if (!(await instanceHasAdmin(tx))) {
      if (!input.setupCode || !(await setupCodeMatches(tx, input.setupCode)))
        return { status: "needs-setup-code" as const };
      if (await emailTaken(tx, input.email)) return { status: "exists" as const };
      const user = await insertUser(tx, { ...input, isInstanceAdmin: true });
      await consumeSetupCode(tx);
      return { status: "created" as const, user, claimedAdmin: true };
    }
    if (input.policy === "off") return { status: "refused" as const, policy: "off" as const };
    // Decided on the invitation alone, so the answer says nothing about whether the email has an account.
    if (input.policy === "invite" && !(await hasLiveInvitation(tx, input.email)))
      return { status: "refused" as const, policy: "invite" as const };
    if (await emailTaken(tx, input.email)) return { status: "exists" as const };
    return {
      status: "created" as const,
      user: await insertUser(tx, { ...input, isInstanceAdmin: false }),
      claimedAdmin: false,
    };
  });
}

export async function findUserByOidc(db: TDatabase, provider: string, subject: string) {
  const [row] = await db
    .select({ user: users })
    .from(oidcAccounts)
    .innerJoin(users, eq(users.id, oidcAccounts.userId))
    .where(and(eq(oidcAccounts.provider, provider), eq(oidcAccounts.subject, subject)));
  return row?.user ?? null;
}

export async function linkOidcAccount(db: TDatabase, userId: string, provider: string, subject: string) {
  await db.insert(oidcAccounts).values({ userId, provider, subject }).onConflictDoNothing();
}

export async function bumpSessionVersion(db: TDatabase, userId: string) {
  const [row] = await db
    .update(users)
    .set({ sessionVersion: sql`${users.sessionVersion} + 1` })
    .where(eq(users.id, userId))
    .returning({ sessionVersion: users.sessionVersion });
  return row?.sessionVersion ?? null;
}

export async function insertAccessToken(
  db: TDatabase,
  input: { userId: string; name: string; prefix: string; tokenHash: string; scopes: string[]; expiresAt: Date },
) {
  const [row] = await db.insert(accessTokens).values(input).returning();
  return row!;
}

const tokenKeyset: TKeyset = { key: accessTokens.createdAt, id: accessTokens.id, kind: "timestamp", direction: "asc" };

/** Live tokens, oldest first (access_tokens_user_created_idx); with `page`, one page. */
export async function listAccessTokens(db: TDatabase, userId: string, page?: TPage) {
  const query = db
    .select({ token: accessTokens, cursorKey: keysetKey(tokenKeyset) })
    .from(accessTokens)
    .where(
      and(
        eq(accessTokens.userId, userId),
        isNull(accessTokens.revokedAt),
        keysetAfter(tokenKeyset, page?.after),
        nameContains(accessTokens.name, page?.search),
      ),
    )
    .orderBy(...keysetOrder(tokenKeyset));
  const rows = await (page ? query.limit(page.limit) : query);
  return rows.map((r) => ({ ...r.token, cursorKey: r.cursorKey }));
}

/** Revokes one of the user's tokens; false when it is not theirs or already revoked. */
export async function revokeAccessToken(db: TDatabase, userId: string, tokenId: string) {
  const rows = await db
    .update(accessTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(accessTokens.id, tokenId), eq(accessTokens.userId, userId), isNull(accessTokens.revokedAt)))
    .returning({ id: accessTokens.id });
  return rows.length > 0;
}

/** Revokes every live token of the user ("sign out everywhere" with tokens); the number revoked. */
export async function revokeAllAccessTokens(db: TDatabase, userId: string) {
  const rows = await db
    .update(accessTokens)
    .set({ revokedAt: new Date() })
    .where(and(eq(accessTokens.userId, userId), isNull(accessTokens.revokedAt)))
    .returning({ id: accessTokens.id });
  return rows.length;
}

/**
 * The live token with this hash and its user, or null (unknown, revoked or expired): one statement,
 * and no cache, so a revoked token fails on its very next request.
 */
export async function findUserByTokenHash(db: TDatabase, tokenHash: string) {
  // Every token-authenticated request sends this: built once (prepared.ts).
  const [row] = await prepared(db, "user-by-token-hash", (db, name) =>
    db
      .select({ token: accessTokens, user: users })
      .from(accessTokens)
      .innerJoin(users, eq(users.id, accessTokens.userId))
      .where(
        and(
          eq(accessTokens.tokenHash, slot("tokenHash")),
          isNull(accessTokens.revokedAt),
          sql`${accessTokens.expiresAt} > now()`,
        ),
      )
      .prepare(name),
  ).execute({ tokenHash });
  if (!row) return null;
  if (row.token.expiresAt.getTime() <= Date.now()) return null;
  return row;
}

/** How stale a token's "last used" may get before a request writes it again. */
export const TOKEN_TOUCH_INTERVAL_MS = 60_000;

/** Whether a use at `now` from `ip` must be recorded (the last one is older, or came from elsewhere). */
export function tokenTouchDue(
  token: { lastUsedAt: Date | null; lastUsedIp: string | null },
  ip: string | null,
  now = Date.now(),
): boolean {
  return (
    token.lastUsedAt === null || now - token.lastUsedAt.getTime() >= TOKEN_TOUCH_INTERVAL_MS || token.lastUsedIp !== ip
  );
}

/** Records a use of the token and the client address it came from. */
export async function touchAccessToken(db: TDatabase, tokenId: string, ip: string | null) {
  // At most one write a minute per token and address, whatever the request rate.
  await db
    .update(accessTokens)
    .set({ lastUsedAt: new Date(), lastUsedIp: ip })
    .where(
      and(
        eq(accessTokens.id, tokenId),
        sql`(${accessTokens.lastUsedAt} is null or ${accessTokens.lastUsedAt} < now() - interval '1 minute' or ${accessTokens.lastUsedIp} is distinct from ${ip})`,
      ),
    );
}
