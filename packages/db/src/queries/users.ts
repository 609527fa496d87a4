import { and, eq, isNull, sql } from "drizzle-orm";
import type { TDatabase } from "../client";
import { accessTokens, oidcAccounts, users, workspaceParticipants, workspaces } from "../schema";

export async function findUserByEmail(db: TDatabase, email: string) {
  const [row] = await db.select().from(users).where(sql`lower(${users.email}) = ${email.toLowerCase()}`);
  return row ?? null;
}

export async function findUserById(db: TDatabase, id: string) {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

/**
 * Creates a user and their personal workspace in one transaction. The first user of an instance
 * becomes its instance admin; an advisory lock makes "first" exact under concurrent sign-ups.
 * Returns null when the email is already registered.
 */
export async function createUserWithPersonalWorkspace(
  db: TDatabase,
  input: { email: string; name: string; passwordHash: string | null; oidc?: { provider: string; subject: string } },
) {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(7263002)`);
    const [existing] = await tx.select({ id: users.id }).from(users).where(sql`lower(${users.email}) = ${input.email.toLowerCase()}`);
    if (existing) return null;
    const [{ count } = { count: 0 }] = await tx.select({ count: sql<number>`count(*)::int` }).from(users);
    const [user] = await tx
      .insert(users)
      .values({ email: input.email.toLowerCase(), name: input.name, passwordHash: input.passwordHash, isInstanceAdmin: count === 0 })
      .returning();
    if (!user) throw new Error("user insert returned nothing");
    const [workspace] = await tx
      .insert(workspaces)
      .values({ personalOwnerId: user.id, name: `${input.name}'s workspace`, slug: "personal", visibility: "private" })
      .returning();
    await tx.insert(workspaceParticipants).values({ workspaceId: workspace!.id, userId: user.id, role: "owner" });
    if (input.oidc) await tx.insert(oidcAccounts).values({ userId: user.id, ...input.oidc });
    return user;
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

export async function listAccessTokens(db: TDatabase, userId: string) {
  return db
    .select()
    .from(accessTokens)
    .where(and(eq(accessTokens.userId, userId), isNull(accessTokens.revokedAt)))
    .orderBy(accessTokens.createdAt);
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

/** The live token with this hash and its user, or null (unknown, revoked or expired). */
export async function findUserByTokenHash(db: TDatabase, tokenHash: string) {
  const [row] = await db
    .select({ token: accessTokens, user: users })
    .from(accessTokens)
    .innerJoin(users, eq(users.id, accessTokens.userId))
    .where(and(eq(accessTokens.tokenHash, tokenHash), isNull(accessTokens.revokedAt)));
  if (!row) return null;
  if (row.token.expiresAt.getTime() <= Date.now()) return null;
  return row;
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
