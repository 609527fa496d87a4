import {
  parseEnvelope,
  sealedPlaintextBytes,
  SealedBoxError,
  type SealingKeyring,
  type TSecretBinding,
} from "@lockstep/crypto";
import {
  deleteSecret,
  findSecretById,
  findSecretByName,
  insertSecret,
  overwriteSecret,
  ownerId,
  recordAudit,
  recordWebhookEvent,
  type TDatabase,
  type TDbOrTx,
  type TSecretOwner,
} from "@lockstep/db";
import { enqueue, type TQueues } from "@lockstep/queue";
import { SECRET_VALUE_MAX_BYTES, secretNameProblem } from "@lockstep/validators";
import { AppError, type TErrorDetail } from "../errors";

export type TValueInput = { sealed: string } | { plain: string };

export type TSecretDeps = { db: TDatabase; sealing: SealingKeyring; queues: TQueues };

export type TActor = { id: string; email: string; ip: string | null; userAgent: string | null };

export function bindingOf(owner: TSecretOwner, name: string): TSecretBinding {
  return { scope: owner.scope, ownerId: ownerId(owner), name };
}

/**
 * Turns the API's value input into a sealed envelope. A plain value (already checked against the
 * value rules by the input schema) is sealed here under the active key, and `checkedAt` says so; a
 * value sealed by the browser is checked for form, key id and size — its plaintext never reaches
 * this server, so the value rules are the worker's to check (`checkedAt` null, see checkSealedLater).
 */
export async function sealedFrom(
  sealing: SealingKeyring,
  value: TValueInput,
  binding: TSecretBinding,
): Promise<{ sealed: string; keyId: string; checkedAt: Date | null }> {
  if ("plain" in value)
    return { sealed: await sealing.seal(value.plain, binding), keyId: sealing.active.kid, checkedAt: new Date() };
  let kid: string;
  let bytes: number;
  try {
    kid = parseEnvelope(value.sealed).kid;
    bytes = sealedPlaintextBytes(value.sealed);
  } catch (error) {
    const reason = error instanceof SealedBoxError ? error.message : "malformed";
    throw new AppError("INVALID", `value: the sealed value is not valid (${reason}).`);
  }
  if (!sealing.has(kid))
    throw new AppError("INVALID", `value: sealed under unknown key ${kid}; fetch secrets.publicKey and seal again.`);
  if (bytes > SECRET_VALUE_MAX_BYTES) {
    throw new AppError(
      "INVALID",
      `value: is ${bytes.toLocaleString("en")} bytes; the limit is ${SECRET_VALUE_MAX_BYTES.toLocaleString("en")} bytes (64 KiB).`,
    );
  }
  return { sealed: value.sealed, keyId: kid, checkedAt: null };
}

/**
 * Asks the worker to open and check values sealed in a client, so the secrets list marks one that
 * breaks a value rule while its author is still there. After the write committed; if Redis is
 * down the sweeper enqueues the check from the row (its valueCheckedAt is null), and provisioning
 * checks every value again regardless.
 */
async function checkSealedLater(
  queues: TQueues,
  written: Array<{ id: string; updatedAt: Date; checkedAt: Date | null }>,
) {
  for (const w of written) {
    if (w.checkedAt) continue;
    await enqueue(queues, "secrets.validate", { secretId: w.id, writtenAt: w.updatedAt.toISOString() }).catch(
      () => undefined,
    );
  }
}

/**
 * The webhook event of a workspace secret's write, recorded in the write's own transaction (the
 * outbox: the event exists exactly when the change does). Personal secrets never make one. Ids,
 * the name, who and when — never the value, its ciphertext or a fingerprint of it.
 */
async function secretWebhook(
  tx: TDbOrTx,
  owner: TSecretOwner,
  actor: TActor,
  type: "secret.created" | "secret.overwritten" | "secret.deleted",
  row: { id: string; name: string },
): Promise<string[]> {
  if (owner.scope !== "workspace") return [];
  return recordWebhookEvent(tx, {
    workspaceId: owner.workspaceId,
    type,
    data: {
      workspaceId: owner.workspaceId,
      secret: { id: row.id, name: row.name },
      actor: { id: actor.id, email: actor.email },
      at: new Date().toISOString(),
    },
  });
}

/** After commit: ask the worker to deliver now. If Redis is away the worker's drain finds the pending deliveries. */
export async function deliverSoon(queues: TQueues | undefined, deliveryIds: string[]) {
  if (!queues) return;
  for (const deliveryId of deliveryIds)
    await enqueue(queues, "webhooks.deliver", { deliveryId, attempt: 1 }).catch(() => undefined);
}

function where(owner: TSecretOwner) {
  return owner.scope === "workspace" ? "this workspace" : "your secrets";
}

function auditBase(owner: TSecretOwner, actor: TActor) {
  return {
    actorId: actor.id,
    actorEmail: actor.email,
    ip: actor.ip,
    userAgent: actor.userAgent,
    workspaceId: owner.scope === "workspace" ? owner.workspaceId : null,
    subjectUserId: owner.scope === "user" ? owner.userId : null,
    targetType: owner.scope === "workspace" ? "workspace-secret" : "user-secret",
  };
}

export async function validateSecretName(db: TDatabase, owner: TSecretOwner, name: string) {
  const problem = secretNameProblem(name);
  if (problem) return { status: "invalid" as const, reason: `Secret name ${problem}.` };
  if (await findSecretByName(db, owner, name))
    return { status: "duplicate" as const, reason: `A secret named ${name} already exists in ${where(owner)}.` };
  return { status: "ok" as const };
}

export async function createSecret(
  { db, sealing, queues }: TSecretDeps,
  owner: TSecretOwner,
  actor: TActor,
  name: string,
  value: TValueInput,
) {
  const { sealed, keyId, checkedAt } = await sealedFrom(sealing, value, bindingOf(owner, name));
  const { row, deliveries } = await db.transaction(async (tx) => {
    const row = await insertSecret(tx, owner, { name, sealed, keyId, actorId: actor.id, checkedAt });
    if (!row)
      throw new AppError("CONFLICT", `A secret named ${name} already exists in ${where(owner)}; overwrite it instead.`);
    await recordAudit(tx, { ...auditBase(owner, actor), action: "secret.created", targetId: row.id, targetName: name });
    return { row, deliveries: await secretWebhook(tx, owner, actor, "secret.created", row) };
  });
  await checkSealedLater(queues, [{ ...row, checkedAt }]);
  await deliverSoon(queues, deliveries);
  return row;
}

export async function updateSecret(
  { db, sealing, queues }: TSecretDeps,
  owner: TSecretOwner,
  actor: TActor,
  secretId: string,
  value: TValueInput,
) {
  const existing = await findSecretById(db, owner, secretId);
  if (!existing) throw new AppError("NOT_FOUND", "No such secret.");
  const { sealed, keyId, checkedAt } = await sealedFrom(sealing, value, bindingOf(owner, existing.name));
  const { row, deliveries } = await db.transaction(async (tx) => {
    const row = await overwriteSecret(tx, owner, secretId, { sealed, keyId, actorId: actor.id, checkedAt });
    if (!row) throw new AppError("NOT_FOUND", "No such secret.");
    await recordAudit(tx, {
      ...auditBase(owner, actor),
      action: "secret.overwritten",
      targetId: row.id,
      targetName: row.name,
    });
    return { row, deliveries: await secretWebhook(tx, owner, actor, "secret.overwritten", row) };
  });
  await checkSealedLater(queues, [{ ...row, checkedAt }]);
  await deliverSoon(queues, deliveries);
  return row;
}

/** `queues` lets the webhook go out at once; without it the worker's drain delivers it. */
export async function removeSecret(
  db: TDatabase,
  owner: TSecretOwner,
  actor: TActor,
  secretId: string,
  queues?: TQueues,
) {
  const { row, deliveries } = await db.transaction(async (tx) => {
    const row = await deleteSecret(tx, owner, secretId);
    if (!row) throw new AppError("NOT_FOUND", "No such secret.");
    await recordAudit(tx, {
      ...auditBase(owner, actor),
      action: "secret.deleted",
      targetId: row.id,
      targetName: row.name,
    });
    return { row, deliveries: await secretWebhook(tx, owner, actor, "secret.deleted", row) };
  });
  await deliverSoon(queues, deliveries);
  return row;
}

export type TImportEntry = { line: number; name: string; value: TValueInput };

/**
 * All or nothing: every entry is checked (name rule, sealed form and size, duplicates within the
 * import, existing names unless overwriting); one bad entry writes none.
 */
export async function importSecrets(
  { db, sealing, queues }: TSecretDeps,
  owner: TSecretOwner,
  actor: TActor,
  entries: TImportEntry[],
  overwrite: boolean,
) {
  const details: TErrorDetail[] = [];
  const prepared: Array<{ line: number; name: string; sealed: string; keyId: string; checkedAt: Date | null }> = [];
  const seen = new Map<string, number>();
  for (const entry of entries) {
    const problem = secretNameProblem(entry.name);
    if (problem) {
      details.push({ line: entry.line, name: entry.name, message: `name ${problem}` });
      continue;
    }
    const first = seen.get(entry.name);
    if (first !== undefined) {
      details.push({ line: entry.line, name: entry.name, message: `${entry.name} is also on line ${first}` });
      continue;
    }
    seen.set(entry.name, entry.line);
    try {
      prepared.push({
        line: entry.line,
        name: entry.name,
        ...(await sealedFrom(sealing, entry.value, bindingOf(owner, entry.name))),
      });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      details.push({ line: entry.line, name: entry.name, message: error.message });
    }
  }
  const written: Array<{
    name: string;
    action: "created" | "overwritten";
    id: string;
    updatedAt: Date;
    checkedAt: Date | null;
  }> = [];
  const deliveries: string[] = [];
  const result = await db.transaction(async (tx) => {
    for (const p of prepared) {
      const existing = await findSecretByName(tx, owner, p.name);
      if (existing && !overwrite) {
        details.push({
          line: p.line,
          name: p.name,
          message: `${p.name} already exists; tick "overwrite existing" to replace it`,
        });
        continue;
      }
      const write = { sealed: p.sealed, keyId: p.keyId, actorId: actor.id, checkedAt: p.checkedAt, via: "import" };
      if (existing) {
        const row = await overwriteSecret(tx, owner, existing.id, write);
        if (!row) throw new AppError("CONFLICT", `${p.name} was deleted by someone else during the import; try again.`);
        written.push({
          name: p.name,
          action: "overwritten",
          id: row.id,
          updatedAt: row.updatedAt,
          checkedAt: p.checkedAt,
        });
      } else {
        const row = await insertSecret(tx, owner, { name: p.name, ...write });
        if (!row) throw new AppError("CONFLICT", `${p.name} was created by someone else during the import; try again.`);
        written.push({ name: p.name, action: "created", id: row.id, updatedAt: row.updatedAt, checkedAt: p.checkedAt });
      }
    }
    if (details.length > 0) {
      details.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
      // Throwing rolls the transaction back: nothing is written unless every line is valid.
      throw new AppError("INVALID", details.map((d) => `line ${d.line}: ${d.message}`).join("; "), details);
    }
    const base = auditBase(owner, actor);
    for (const w of written)
      deliveries.push(...(await secretWebhook(tx, owner, actor, `secret.${w.action}`, { id: w.id, name: w.name })));
    await recordAudit(tx, [
      ...written.map((w) => ({
        ...base,
        action: `secret.${w.action}` as const,
        targetId: w.id,
        targetName: w.name,
        detail: { via: "import" },
      })),
      {
        ...base,
        action: "secrets.imported" as const,
        targetId: null,
        targetName: null,
        detail: { count: written.length, names: written.map((w) => w.name) },
      },
    ]);
    return {
      created: written.filter((w) => w.action === "created").length,
      overwritten: written.filter((w) => w.action === "overwritten").length,
    };
  });
  await checkSealedLater(queues, written);
  await deliverSoon(queues, deliveries);
  return result;
}
