import {
  aliasedTable,
  and,
  asc,
  desc,
  eq,
  gt,
  inArray,
  isNull,
  lt,
  ne,
  sql,
  type Placeholder,
  type SQL,
} from "drizzle-orm";
import type { TDbOrTx } from "../client";
import { auditEvents, runs, secrets, secretVersions, users } from "../schema";
import { likePattern, type TAuditAction } from "@lockstep/validators";
import { isoText, keysetAfter, keysetKey, keysetOrder, nameContainsSlot, type TKeyset, type TPage } from "./paging";
import { prepared, slot } from "./prepared";

export type TSecretOwner = { scope: "workspace"; workspaceId: string } | { scope: "user"; userId: string };

/** An owner whose id may be a placeholder (prepared.ts). */
type TSlotOwner =
  { scope: "workspace"; workspaceId: string | Placeholder } | { scope: "user"; userId: string | Placeholder };

function ownerWhere(owner: TSlotOwner): SQL {
  return owner.scope === "workspace"
    ? and(eq(secrets.scope, "workspace"), eq(secrets.workspaceId, owner.workspaceId))!
    : and(eq(secrets.scope, "user"), eq(secrets.userId, owner.userId))!;
}

export function ownerId(owner: TSecretOwner): string {
  return owner.scope === "workspace" ? owner.workspaceId : owner.userId;
}

const createdBy = aliasedTable(users, "created_by_user");
const updatedBy = aliasedTable(users, "updated_by_user");
const lastUsedBy = aliasedTable(users, "last_used_by_user");

export const secretSorts = ["name", "updated"] as const;
export type TSecretSort = (typeof secretSorts)[number];

/** Name: A→Z (the Launch form's order too); updated: last written first. Each served by an index. */
const secretKeysets: Record<TSecretSort, TKeyset> = {
  name: { key: secrets.name, id: secrets.id, kind: "text", direction: "asc" },
  updated: { key: secrets.updatedAt, id: secrets.id, kind: "timestamp", direction: "desc" },
};

/**
 * Secret metadata only — the sealed value is never selected here; dates as ISO text (`isoText`).
 * With `page`, one page in `sort` order after the previous page's last row (`cursorKey` + id),
 * names filtered by `search`; without it, every row (for internal callers that need the whole set).
 */
export async function listSecretMetadata(db: TDbOrTx, owner: TSecretOwner, page?: TPage & { sort?: TSecretSort }) {
  if (!page) return secretMetadata(db, owner);
  // A list page on every request: built once per shape (prepared.ts), the values bound at each call.
  const sort = page.sort ?? "name";
  const shape = `secrets-page:${owner.scope}:${sort}:${page.after ? "after" : "first"}:${page.search ? "search" : "all"}`;
  return prepared(db, shape, (db, name) =>
    secretMetadata(
      db,
      owner.scope === "workspace"
        ? { scope: "workspace", workspaceId: slot("ownerId") }
        : { scope: "user", userId: slot("ownerId") },
      {
        sort,
        after: page.after ? { key: slot("afterKey"), id: slot("afterId") } : null,
        search: page.search ? slot("search") : null,
      },
    )
      .limit(slot("limit"))
      .prepare(name),
  ).execute({
    ownerId: ownerId(owner),
    afterKey: page.after?.key,
    afterId: page.after?.id,
    search: page.search ? likePattern(page.search) : undefined,
    limit: page.limit,
  });
}

/** The metadata query, in `page.sort` order after `page.after`, names matching `page.search` (a LIKE pattern's placeholder). */
function secretMetadata(
  db: TDbOrTx,
  owner: TSlotOwner,
  page?: {
    sort: TSecretSort;
    after: { key: Placeholder; id: Placeholder } | null;
    search: Placeholder | null;
  },
) {
  const k = secretKeysets[page?.sort ?? "name"];
  return db
    .select({
      id: secrets.id,
      name: secrets.name,
      keyId: secrets.keyId,
      // Dates as the API writes them (ISO text made by Postgres: no Date per date of each row).
      createdAt: isoText(secrets.createdAt),
      updatedAt: isoText(secrets.updatedAt),
      lastUsedAt: isoText(secrets.lastUsedAt),
      lastUsedRun: { id: runs.id, workspaceId: runs.workspaceId },
      version: secrets.version,
      valueProblem: secrets.valueProblem,
      valueCheckedAt: isoText(secrets.valueCheckedAt),
      createdBy: { id: createdBy.id, name: createdBy.name, email: createdBy.email },
      updatedBy: { id: updatedBy.id, name: updatedBy.name, email: updatedBy.email },
      lastUsedBy: { id: lastUsedBy.id, name: lastUsedBy.name, email: lastUsedBy.email },
      cursorKey: keysetKey(k),
    })
    .from(secrets)
    .leftJoin(createdBy, eq(createdBy.id, secrets.createdBy))
    .leftJoin(updatedBy, eq(updatedBy.id, secrets.updatedBy))
    .leftJoin(lastUsedBy, eq(lastUsedBy.id, secrets.lastUsedBy))
    .leftJoin(runs, eq(runs.id, secrets.lastUsedRunId))
    .where(
      and(
        ownerWhere(owner),
        keysetAfter(k, page?.after),
        page?.search ? nameContainsSlot(secrets.name, page.search) : undefined,
      ),
    )
    .orderBy(...keysetOrder(k))
    .$dynamic();
}

export async function findSecretByName(db: TDbOrTx, owner: TSecretOwner, name: string) {
  const [row] = await db
    .select({ id: secrets.id, name: secrets.name })
    .from(secrets)
    .where(and(ownerWhere(owner), eq(secrets.name, name)));
  return row ?? null;
}

export async function findSecretById(db: TDbOrTx, owner: TSecretOwner, id: string) {
  const [row] = await db
    .select({ id: secrets.id, name: secrets.name })
    .from(secrets)
    .where(and(ownerWhere(owner), eq(secrets.id, id)));
  return row ?? null;
}

/**
 * `checkedAt`: when the value was checked against the value rules in plaintext (a plain value the
 * API checked); null for a value sealed by a client, which only the worker can open and check.
 */
type TValueWrite = { sealed: string; keyId: string; actorId: string; checkedAt?: Date | null; via?: string | null };

export async function insertSecret(db: TDbOrTx, owner: TSecretOwner, input: TValueWrite & { name: string }) {
  const [row] = await db
    .insert(secrets)
    .values({
      scope: owner.scope,
      workspaceId: owner.scope === "workspace" ? owner.workspaceId : null,
      userId: owner.scope === "user" ? owner.userId : null,
      name: input.name,
      sealed: input.sealed,
      keyId: input.keyId,
      createdBy: input.actorId,
      updatedBy: input.actorId,
      valueCheckedAt: input.checkedAt ?? null,
    })
    .onConflictDoNothing()
    .returning({ id: secrets.id, name: secrets.name, updatedAt: secrets.updatedAt, version: secrets.version });
  if (row)
    await db.insert(secretVersions).values({
      secretId: row.id,
      version: row.version,
      writtenAt: row.updatedAt,
      writtenBy: input.actorId,
      action: "created",
      via: input.via ?? null,
    });
  return row ?? null;
}

export async function overwriteSecret(db: TDbOrTx, owner: TSecretOwner, id: string, input: TValueWrite) {
  const [row] = await db
    .update(secrets)
    // A new value: what was found about the old one no longer holds.
    // The old ciphertext is replaced in place and kept nowhere: history rows say who and when only.
    .set({
      sealed: input.sealed,
      keyId: input.keyId,
      updatedBy: input.actorId,
      updatedAt: new Date(),
      valueProblem: null,
      valueCheckedAt: input.checkedAt ?? null,
      version: sql`${secrets.version} + 1`,
    })
    .where(and(ownerWhere(owner), eq(secrets.id, id)))
    .returning({ id: secrets.id, name: secrets.name, updatedAt: secrets.updatedAt, version: secrets.version });
  if (row)
    await db.insert(secretVersions).values({
      secretId: row.id,
      version: row.version,
      writtenAt: row.updatedAt,
      writtenBy: input.actorId,
      action: "overwritten",
      via: input.via ?? null,
    });
  return row ?? null;
}

const writtenBy = aliasedTable(users, "written_by_user");

/**
 * A secret's write history, newest first (`beforeVersion` pages on): version, when, who, how.
 * Only for a secret `owner` holds; another owner's id reads as absent (null).
 */
export async function secretHistory(
  db: TDbOrTx,
  owner: TSecretOwner,
  id: string,
  page: { limit: number; beforeVersion?: number },
) {
  const secret = await findSecretById(db, owner, id);
  if (!secret) return null;
  const rows = await db
    .select({
      version: secretVersions.version,
      writtenAt: secretVersions.writtenAt,
      action: secretVersions.action,
      via: secretVersions.via,
      writtenBy: { id: writtenBy.id, name: writtenBy.name, email: writtenBy.email },
    })
    .from(secretVersions)
    .leftJoin(writtenBy, eq(writtenBy.id, secretVersions.writtenBy))
    .where(
      and(
        eq(secretVersions.secretId, id),
        page.beforeVersion !== undefined ? lt(secretVersions.version, page.beforeVersion) : undefined,
      ),
    )
    .orderBy(desc(secretVersions.version))
    .limit(page.limit);
  return { ...secret, versions: rows.map((r) => ({ ...r, writtenBy: r.writtenBy?.id ? r.writtenBy : null })) };
}

export async function deleteSecret(db: TDbOrTx, owner: TSecretOwner, id: string) {
  const [row] = await db
    .delete(secrets)
    .where(and(ownerWhere(owner), eq(secrets.id, id)))
    .returning({ id: secrets.id, name: secrets.name });
  return row ?? null;
}

/** For the worker only: sealed values with their binding, to open in memory. */
export async function sealedSecretsOf(db: TDbOrTx, owner: TSecretOwner, names?: string[]) {
  return db
    .select({
      id: secrets.id,
      scope: secrets.scope,
      workspaceId: secrets.workspaceId,
      userId: secrets.userId,
      name: secrets.name,
      sealed: secrets.sealed,
      keyId: secrets.keyId,
    })
    .from(secrets)
    .where(and(ownerWhere(owner), names ? inArray(secrets.name, names) : undefined));
}

/** For the worker only: one sealed value with its binding (the value check after a sealed write). */
export async function sealedSecretById(db: TDbOrTx, id: string) {
  const [row] = await db
    .select({
      id: secrets.id,
      scope: secrets.scope,
      workspaceId: secrets.workspaceId,
      userId: secrets.userId,
      name: secrets.name,
      sealed: secrets.sealed,
    })
    .from(secrets)
    .where(eq(secrets.id, id));
  return row ?? null;
}

/**
 * Records what the worker found checking a value (the rule it breaks, or null), only if the row
 * still holds the sealed value that was checked: a check never lands on a newer value.
 */
export async function recordValueCheck(db: TDbOrTx, id: string, checkedSealed: string, problem: string | null) {
  const rows = await db
    .update(secrets)
    .set({ valueProblem: problem, valueCheckedAt: new Date() })
    .where(and(eq(secrets.id, id), eq(secrets.sealed, checkedSealed)))
    .returning({ id: secrets.id });
  return rows.length > 0;
}

/** Values not yet checked (sealed by a client, or stored before the check existed), oldest write first. */
export async function secretsToValidate(db: TDbOrTx, limit: number) {
  return db
    .select({ id: secrets.id, updatedAt: secrets.updatedAt })
    .from(secrets)
    .where(isNull(secrets.valueCheckedAt))
    .orderBy(asc(secrets.updatedAt))
    .limit(limit);
}

/** For key rotation: a batch of rows not sealed under `activeKeyId`, oldest id first. */
export async function secretsToReseal(db: TDbOrTx, activeKeyId: string, afterId: string | null, limit: number) {
  return db
    .select({
      id: secrets.id,
      scope: secrets.scope,
      workspaceId: secrets.workspaceId,
      userId: secrets.userId,
      name: secrets.name,
      sealed: secrets.sealed,
      keyId: secrets.keyId,
    })
    .from(secrets)
    .where(and(ne(secrets.keyId, activeKeyId), afterId ? gt(secrets.id, afterId) : undefined))
    .orderBy(asc(secrets.id))
    .limit(limit);
}

/** Replaces a sealed value only if it is still the one that was read (no lost concurrent overwrite). */
export async function resealSecret(db: TDbOrTx, id: string, expectedSealed: string, sealed: string, keyId: string) {
  const rows = await db
    .update(secrets)
    .set({ sealed, keyId })
    .where(and(eq(secrets.id, id), eq(secrets.sealed, expectedSealed)))
    .returning({ id: secrets.id });
  return rows.length > 0;
}

export async function countSecretsByKey(db: TDbOrTx) {
  return db
    .select({ keyId: secrets.keyId, count: sql<number>`count(*)::int` })
    .from(secrets)
    .groupBy(secrets.keyId);
}

// ── Audit ──────────────────────────────────────────────────────────────────────────────────

export type TAuditInput = {
  actorId: string | null;
  actorEmail: string | null;
  ip: string | null;
  userAgent: string | null;
  /** From the one catalogue (`@lockstep/validators` auditActions): an action it lacks does not compile. */
  action: TAuditAction;
  workspaceId?: string | null;
  subjectUserId?: string | null;
  targetType: string;
  targetId?: string | null;
  targetName?: string | null;
  runId?: string | null;
  detail?: Record<string, string | number | boolean | string[] | null>;
};

export async function recordAudit(db: TDbOrTx, events: TAuditInput | TAuditInput[]) {
  const list = Array.isArray(events) ? events : [events];
  if (list.length === 0) return;
  await db.insert(auditEvents).values(list.map((e) => ({ ...e, detail: e.detail ?? {} })));
}

export type TAuditFilter = {
  workspaceId?: string;
  subjectUserId?: string;
  beforeSeq?: number;
  limit: number;
  action?: string;
  actorId?: string;
  targetName?: string;
  from?: Date;
  to?: Date;
};

/** Newest first, keyset-paginated on `seq`. */
export async function listAuditEvents(db: TDbOrTx, f: TAuditFilter) {
  return db
    .select()
    .from(auditEvents)
    .where(
      and(
        f.workspaceId ? eq(auditEvents.workspaceId, f.workspaceId) : undefined,
        f.subjectUserId ? eq(auditEvents.subjectUserId, f.subjectUserId) : undefined,
        f.beforeSeq ? lt(auditEvents.seq, f.beforeSeq) : undefined,
        f.action ? eq(auditEvents.action, f.action) : undefined,
        f.actorId ? eq(auditEvents.actorId, f.actorId) : undefined,
        f.targetName ? eq(auditEvents.targetName, f.targetName) : undefined,
        f.from ? sql`${auditEvents.at} >= ${f.from}` : undefined,
        f.to ? sql`${auditEvents.at} < ${f.to}` : undefined,
      ),
    )
    .orderBy(desc(auditEvents.seq))
    .limit(f.limit);
}
