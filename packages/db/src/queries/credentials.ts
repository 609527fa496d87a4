import { and, asc, eq, sql } from "drizzle-orm";
import type { TDbOrTx } from "../client";
import { computeEnvs, credentials } from "../schema";
import { keysetAfter, keysetKey, keysetOrder, nameContains, type TKeyset, type TPage } from "./paging";

const credentialKeyset: TKeyset = { key: credentials.name, id: credentials.id, kind: "text", direction: "asc" };

/** Metadata only; the sealed value is never selected here. */
export async function listCredentials(db: TDbOrTx, workspaceId: string, page?: TPage) {
  const query = db
    .select({
      id: credentials.id,
      name: credentials.name,
      provider: credentials.provider,
      createdAt: credentials.createdAt,
      updatedAt: credentials.updatedAt,
      cursorKey: keysetKey(credentialKeyset),
    })
    .from(credentials)
    .where(
      and(
        eq(credentials.workspaceId, workspaceId),
        keysetAfter(credentialKeyset, page?.after),
        nameContains(credentials.name, page?.search),
      ),
    )
    .orderBy(...keysetOrder(credentialKeyset));
  return page ? query.limit(page.limit) : query;
}

export async function insertCredential(
  db: TDbOrTx,
  input: {
    workspaceId: string;
    name: string;
    provider: "aws" | "google" | "ssh";
    sealed: string;
    keyId: string;
    actorId: string;
  },
) {
  const [row] = await db
    .insert(credentials)
    .values({ ...input, createdBy: input.actorId, updatedBy: input.actorId })
    .onConflictDoNothing()
    .returning({ id: credentials.id, name: credentials.name, provider: credentials.provider });
  return row ?? null;
}

export async function findCredential(db: TDbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .select({ id: credentials.id, name: credentials.name, provider: credentials.provider })
    .from(credentials)
    .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)));
  return row ?? null;
}

export async function overwriteCredential(
  db: TDbOrTx,
  workspaceId: string,
  id: string,
  input: { sealed: string; keyId: string; actorId: string },
) {
  const [row] = await db
    .update(credentials)
    .set({ sealed: input.sealed, keyId: input.keyId, updatedBy: input.actorId, updatedAt: new Date() })
    .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)))
    .returning({ id: credentials.id, name: credentials.name, provider: credentials.provider });
  return row ?? null;
}

export async function deleteCredential(db: TDbOrTx, workspaceId: string, id: string) {
  const [row] = await db
    .delete(credentials)
    .where(and(eq(credentials.workspaceId, workspaceId), eq(credentials.id, id)))
    .returning({ id: credentials.id, name: credentials.name, provider: credentials.provider });
  return row ?? null;
}

/** For the worker only. */
export async function sealedCredential(db: TDbOrTx, id: string) {
  const [row] = await db.select().from(credentials).where(eq(credentials.id, id));
  return row ?? null;
}

/** Names of the workspace's compute environments that use these credentials (cloud configs carry credentialId). */
export async function computeEnvsUsingCredential(db: TDbOrTx, workspaceId: string, id: string) {
  const rows = await db
    .select({ name: computeEnvs.name })
    .from(computeEnvs)
    .where(and(eq(computeEnvs.workspaceId, workspaceId), sql`${computeEnvs.config}->>'credentialId' = ${id}`))
    .orderBy(asc(computeEnvs.name));
  return rows.map((r) => r.name);
}
