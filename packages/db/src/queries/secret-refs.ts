import { and, asc, eq, inArray, or, sql } from "drizzle-orm";
import type { TDbOrTx } from "../client";
import { auditEvents, runs, secrets, users, type TRunSecretRef } from "../schema";

// ── Secrets a run receives ────────────────────────────────────────────────────────────────────

/**
 * The set a run launched by `userId` in an org workspace receives: the workspace's secrets,
 * overlaid by the launcher's own secrets — a user secret wins over a workspace secret of the same
 * name. Names, sources and ids only.
 */
export async function effectiveSecretRefs(db: TDbOrTx, workspaceId: string, userId: string): Promise<TRunSecretRef[]> {
  const rows = await db
    .select({ id: secrets.id, name: secrets.name, scope: secrets.scope })
    .from(secrets)
    .where(
      or(
        and(eq(secrets.scope, "workspace"), eq(secrets.workspaceId, workspaceId)),
        and(eq(secrets.scope, "user"), eq(secrets.userId, userId)),
      ),
    )
    // The database's name order, as the Secrets list pages in: the two lists read the same way.
    .orderBy(secrets.name);
  const byName = new Map<string, TRunSecretRef>();
  for (const r of rows) {
    if (r.scope === "user") byName.set(r.name, { name: r.name, source: "user", secretId: r.id });
    else if (!byName.has(r.name)) byName.set(r.name, { name: r.name, source: "workspace", secretId: r.id });
  }
  return [...byName.values()];
}

/** Names of the user's secrets that override a workspace secret of the same name (names only). */
export async function overriddenSecretNames(db: TDbOrTx, workspaceId: string, userId: string): Promise<string[]> {
  const rows = await db.execute<{ name: string }>(
    sql`select u.name from secrets u join secrets w on w.scope = 'workspace' and w.workspace_id = ${workspaceId} and w.name = u.name where u.scope = 'user' and u.user_id = ${userId} order by u.name`,
  );
  return [...rows].map((r) => r.name);
}

/** For the worker: the sealed rows behind a run's refs (a secret deleted since launch is absent). */
export async function sealedForRefs(db: TDbOrTx, refs: TRunSecretRef[]) {
  if (refs.length === 0) return [];
  return db
    .select({
      id: secrets.id,
      scope: secrets.scope,
      workspaceId: secrets.workspaceId,
      userId: secrets.userId,
      name: secrets.name,
      sealed: secrets.sealed,
      version: secrets.version,
    })
    .from(secrets)
    .where(
      inArray(
        secrets.id,
        refs.map((r) => r.secretId),
      ),
    );
}

export async function markSecretsUsed(
  db: TDbOrTx,
  secretIds: string[],
  userId: string | null,
  runId: string | null = null,
) {
  if (secretIds.length === 0) return;
  await db
    .update(secrets)
    .set({ lastUsedAt: new Date(), lastUsedBy: userId, lastUsedRunId: runId })
    .where(inArray(secrets.id, secretIds));
}

// ── Personal secrets in what others read ────────────────────────────────────────────────────

/**
 * What an audit event may say about a run's secrets. A user secret's name is its owner's alone
 * (a workspace admin reading Activity, or an export, must not learn it): workspace secrets by
 * name, personal ones by count, with whose they are.
 */
export function runSecretsAuditDetail(
  refs: TRunSecretRef[],
  launcherName: string | null,
): Record<string, string | number | string[]> {
  const personal = refs.filter((r) => r.source === "user").length;
  return {
    names: refs.filter((r) => r.source === "workspace").map((r) => `${r.name} (workspace)`),
    ...(personal > 0 ? { personalSecrets: personal, personalSecretsOf: launcherName ?? "the launcher" } : {}),
  };
}

/** Runs' secret refs and launchers' names, for hiding personal secret names in events about them. */
export async function runSecretOwners(db: TDbOrTx, runIds: string[]) {
  if (runIds.length === 0) return new Map<string, { refs: TRunSecretRef[]; launcherName: string | null }>();
  const rows = await db
    .select({ id: runs.id, refs: runs.secretRefs, launcherName: users.name })
    .from(runs)
    .leftJoin(users, eq(users.id, runs.launchedBy))
    .where(inArray(runs.id, [...new Set(runIds)]));
  return new Map(rows.map((r) => [r.id, { refs: r.refs, launcherName: r.launcherName }]));
}

/** The secrets' versions now, by id (a secret deleted since is absent). */
export async function currentSecretVersions(db: TDbOrTx, secretIds: string[]) {
  if (secretIds.length === 0) return [];
  return db.select({ id: secrets.id, version: secrets.version }).from(secrets).where(inArray(secrets.id, secretIds));
}

/** A run's audit events of these actions, oldest first (what its deletion receipt is built from). */
export async function runAuditEvents(db: TDbOrTx, runId: string, actions: string[]) {
  return db
    .select({ action: auditEvents.action, at: auditEvents.at, detail: auditEvents.detail })
    .from(auditEvents)
    .where(and(eq(auditEvents.runId, runId), inArray(auditEvents.action, actions)))
    .orderBy(asc(auditEvents.seq));
}
