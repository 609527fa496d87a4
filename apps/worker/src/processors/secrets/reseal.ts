import { countSecretsByKey, recordAudit, resealSecret, secretsToReseal } from "@lockstep/db";
import type { THandler } from "../types";

const BATCH = 100;

/**
 * Key rotation without downtime: every value not sealed under the active key is opened in memory
 * with the private keyring (which still holds the old key) and sealed again under the active one.
 * A row overwritten meanwhile is left alone (compare-and-set on the old envelope) — the overwrite
 * was sealed under the active key already. Safe to run twice.
 */
export const reseal: THandler<"secrets.reseal"> = async (payload, job, ctx) => {
  if (payload.activeKeyId !== ctx.keys.sealing.active.kid) {
    ctx.logger.info(
      { requested: payload.activeKeyId, active: ctx.keys.sealing.active.kid },
      "reseal job is for another active key; skipping",
    );
    return { resealed: 0, skipped: true };
  }
  let afterId: string | null = null;
  let resealed = 0;
  let raced = 0;
  let unopenable = 0;
  for (;;) {
    const rows = await secretsToReseal(ctx.db, payload.activeKeyId, afterId, BATCH);
    if (rows.length === 0) break;
    for (const row of rows) {
      const binding = {
        scope: row.scope,
        ownerId: (row.scope === "workspace" ? row.workspaceId : row.userId)!,
        name: row.name,
      };
      let value: string;
      try {
        value = await ctx.keys.opening.open(row.sealed, binding);
      } catch (error) {
        // A key missing from LOCKSTEP_OPEN_KEYS, or a tampered row: report it, keep going.
        unopenable++;
        ctx.logger.error(
          { secretId: row.id, keyId: row.keyId, err: error instanceof Error ? error.message : "unknown" },
          "stored secret does not open; left as is",
        );
        continue;
      }
      const sealed = await ctx.keys.sealing.seal(value, binding);
      if (await resealSecret(ctx.db, row.id, row.sealed, sealed, payload.activeKeyId)) resealed++;
      else raced++;
    }
    afterId = rows.at(-1)!.id;
    await job.updateProgress({ resealed, raced, unopenable });
  }
  const remaining = (await countSecretsByKey(ctx.db))
    .filter((k) => k.keyId !== payload.activeKeyId)
    .reduce((n, k) => n + k.count, 0);
  await recordAudit(ctx.db, {
    actorId: null,
    actorEmail: null,
    ip: null,
    userAgent: `lockstep-worker/${ctx.worker.version}`,
    action: "secrets.resealed",
    targetType: "keyring",
    targetName: payload.activeKeyId,
    detail: { resealed, raced, unopenable, remaining },
  });
  ctx.logger.info(
    { activeKeyId: payload.activeKeyId, resealed, raced, unopenable, remaining },
    "secrets re-sealed under the active key",
  );
  return { resealed, raced, unopenable, remaining };
};
