import { and, asc, count, desc, eq, ilike, isNull, like, or, sql } from "drizzle-orm";
import type { TDbOrTx, TTx } from "../client";
import { auditEvents, hostComputeEnvsPolicy, instanceSettings, signupPolicy, users } from "../schema";

export type THostComputeEnvsPolicy = (typeof hostComputeEnvsPolicy.enumValues)[number];
export const hostComputeEnvsPolicies = hostComputeEnvsPolicy.enumValues;

export type TSignupPolicy = (typeof signupPolicy.enumValues)[number];
export const signupPolicies = signupPolicy.enumValues;

export type TInstanceSettings = {
  hostComputeEnvs: THostComputeEnvsPolicy;
  /** Null: never saved here, so LOCKSTEP_SIGNUP (the environment) decides. */
  signup: TSignupPolicy | null;
  /** Webhooks may use plain http (off: https only). */
  webhooksAllowHttp: boolean;
  /** CIDRs exempt from the webhooks' private-address block (empty: none). */
  webhooksAllowedNetworks: string[];
  updatedAt: Date | null;
  updatedBy: string | null;
};

const settingsOf = (row: typeof instanceSettings.$inferSelect | undefined): TInstanceSettings => ({
  hostComputeEnvs: row?.hostComputeEnvs ?? "instance-admins",
  signup: row?.signup ?? null,
  webhooksAllowHttp: row?.webhooksAllowHttp ?? false,
  webhooksAllowedNetworks: row?.webhooksAllowedNetworks ?? [],
  updatedAt: row?.updatedAt ?? null,
  updatedBy: row?.updatedBy ?? null,
});

/** The instance's settings; every default when they were never changed (no row). */
export async function getInstanceSettings(db: TDbOrTx, opts: { forUpdate?: boolean } = {}): Promise<TInstanceSettings> {
  const query = db.select().from(instanceSettings).where(eq(instanceSettings.id, true));
  const [row] = opts.forUpdate ? await query.for("update") : await query;
  return settingsOf(row);
}

export async function saveInstanceSettings(
  db: TDbOrTx,
  values: {
    hostComputeEnvs?: THostComputeEnvsPolicy;
    signup?: TSignupPolicy | null;
    webhooksAllowHttp?: boolean;
    webhooksAllowedNetworks?: string[];
  },
  updatedBy: string,
): Promise<TInstanceSettings> {
  const [row] = await db
    .insert(instanceSettings)
    .values({ id: true, ...values, updatedBy })
    .onConflictDoUpdate({ target: instanceSettings.id, set: { ...values, updatedBy, updatedAt: new Date() } })
    .returning();
  return settingsOf(row);
}

/** The sign-up policy in force: the one saved on the Instance settings page, else the environment's. */
export async function effectiveSignupPolicy(db: TDbOrTx, environmentDefault: TSignupPolicy): Promise<TSignupPolicy> {
  return (await getInstanceSettings(db)).signup ?? environmentDefault;
}

/** One page of the instance's users, oldest first (the first is the one who set the instance up). */
export async function listUsersPage(db: TDbOrTx, page: { limit: number; offset: number; search?: string }) {
  const pattern = page.search ? `%${page.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  const where = pattern ? or(ilike(users.email, pattern), ilike(users.name, pattern)) : undefined;
  const [rows, [total]] = await Promise.all([
    db
      .select({
        id: users.id,
        email: users.email,
        name: users.name,
        isInstanceAdmin: users.isInstanceAdmin,
        disabledAt: users.disabledAt,
        createdAt: users.createdAt,
      })
      .from(users)
      .where(where)
      .orderBy(asc(users.createdAt), asc(users.id))
      .limit(page.limit)
      .offset(page.offset),
    db.select({ n: count() }).from(users).where(where),
  ]);
  return { items: rows, total: total?.n ?? 0 };
}

/** Instance admins who can act: a disabled admin does not count (the instance would have nobody to run it). */
export async function countInstanceAdmins(db: TDbOrTx): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(users)
    .where(and(eq(users.isInstanceAdmin, true), isNull(users.disabledAt)));
  return row?.n ?? 0;
}

type TInstanceUser = {
  id: string;
  email: string;
  name: string;
  isInstanceAdmin: boolean;
  disabledAt: Date | null;
  createdAt: Date;
};
const shape = (u: typeof users.$inferSelect): TInstanceUser => ({
  id: u.id,
  email: u.email,
  name: u.name,
  isInstanceAdmin: u.isInstanceAdmin,
  disabledAt: u.disabledAt,
  createdAt: u.createdAt,
});

export type TSetAdminResult =
  { status: "not-found" } | { status: "last-admin" } | { status: "unchanged" | "changed"; user: TInstanceUser };

/**
 * Grants or revokes instance admin. Must run inside a transaction: an advisory lock serialises
 * admin changes, so two admins revoking each other at once cannot leave the instance without one.
 */
export async function setInstanceAdmin(tx: TTx, userId: string, isInstanceAdmin: boolean): Promise<TSetAdminResult> {
  await tx.execute(sql`select pg_advisory_xact_lock(7263003)`);
  const [target] = await tx.select().from(users).where(eq(users.id, userId)).for("update");
  if (!target) return { status: "not-found" };
  if (target.isInstanceAdmin === isInstanceAdmin) return { status: "unchanged", user: shape(target) };
  if (!isInstanceAdmin && !target.disabledAt && (await countInstanceAdmins(tx)) <= 1) return { status: "last-admin" };
  const [row] = await tx.update(users).set({ isInstanceAdmin }).where(eq(users.id, userId)).returning();
  return { status: "changed", user: shape(row!) };
}

export type TSetDisabledResult =
  { status: "not-found" } | { status: "last-admin" } | { status: "unchanged" | "changed"; user: TInstanceUser };

/**
 * Disables or enables an account. Disabling also bumps its session version, so every session
 * ends at once; the account's access tokens are refused while it is disabled. Never the last
 * active instance admin; same lock as admin changes. Must run inside a transaction.
 */
export async function setUserDisabled(tx: TTx, userId: string, disabled: boolean): Promise<TSetDisabledResult> {
  await tx.execute(sql`select pg_advisory_xact_lock(7263003)`);
  const [target] = await tx.select().from(users).where(eq(users.id, userId)).for("update");
  if (!target) return { status: "not-found" };
  if ((target.disabledAt !== null) === disabled) return { status: "unchanged", user: shape(target) };
  if (disabled && target.isInstanceAdmin && (await countInstanceAdmins(tx)) <= 1) return { status: "last-admin" };
  const [row] = await tx
    .update(users)
    .set(disabled ? { disabledAt: new Date(), sessionVersion: sql`${users.sessionVersion} + 1` } : { disabledAt: null })
    .where(eq(users.id, userId))
    .returning();
  return { status: "changed", user: shape(row!) };
}

/** Instance-level audit events (no workspace, no user scope), newest first. */
export async function listInstanceAuditEvents(db: TDbOrTx, limit: number) {
  return db
    .select()
    .from(auditEvents)
    .where(
      and(isNull(auditEvents.workspaceId), isNull(auditEvents.subjectUserId), like(auditEvents.action, "instance.%")),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(limit);
}
