import { and, eq, runsHoldingComputeEnv, schema, type TComputeEnv, type TDatabase } from "@lockstep/db";
import { MAX_ENV_VARS, type TComputeEnvInput } from "@lockstep/validators";
import { AppError, isUniqueViolation } from "../errors";

const { computeEnvs } = schema;

export type TEnvMerge = { ok: true; env: Record<string, string> } | { ok: false; field: "keepEnv" | "computeEnv.env"; message: string };

/**
 * The environment an edit leaves: the stored values of the kept names, then the given ones (a name
 * both kept and given takes the given value). Values are write-only, so an edit that did not list a
 * stored name in `keep` or `given` removes it.
 */
export function mergeEnv(stored: Record<string, string>, keep: readonly string[], given: Record<string, string>): TEnvMerge {
  const env: Record<string, string> = {};
  for (const name of keep) {
    if (!Object.hasOwn(stored, name)) return { ok: false, field: "keepEnv", message: `${name} is not set on this compute environment` };
    env[name] = stored[name]!;
  }
  Object.assign(env, given);
  const count = Object.keys(env).length;
  if (count > MAX_ENV_VARS) {
    return { ok: false, field: "computeEnv.env", message: `at most ${MAX_ENV_VARS} environment variables (${count} kept and given)` };
  }
  return { ok: true, env };
}

/** The first setting a running run depends on that an edit would change, or null. */
export function storeFieldsChanged(current: Pick<TComputeEnv, "kind" | "workDir" | "config">, input: Pick<TComputeEnvInput, "kind" | "workDir" | "config">): string | null {
  if (current.kind !== input.kind) return "kind";
  if (current.workDir !== input.workDir) return "workDir";
  const before = current.config as Record<string, unknown>;
  const after = (input.config ?? {}) as Record<string, unknown>;
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) return `config.${key}`;
  }
  return null;
}

/** Replaces an environment's settings; its stored variables survive only where `keepEnv` names them. */
export async function updateComputeEnv(db: TDatabase, workspaceId: string, computeEnvId: string, input: TComputeEnvInput, keepEnv: readonly string[]): Promise<TComputeEnv> {
  const where = and(eq(computeEnvs.workspaceId, workspaceId), eq(computeEnvs.id, computeEnvId));
  return db
    .transaction(async (tx) => {
      // Locked so a concurrent edit cannot slip a variable in between reading and writing the set.
      const [current] = await tx.select().from(computeEnvs).where(where).for("update");
      if (!current) throw new AppError("NOT_FOUND", "No such compute environment.");
      // A run that holds the environment finds its store and head by these settings: they stay until it is done.
      const moved = storeFieldsChanged(current, input);
      if (moved) {
        const holding = await runsHoldingComputeEnv(tx, computeEnvId);
        if (holding.length > 0) {
          throw new AppError(
            "CONFLICT",
            `computeEnv.${moved}: run ${holding[0]}${holding.length > 1 ? ` and ${holding.length - 1} more` : ""} uses this compute environment (running, or its secrets not yet deleted); its kind, work directory, credentials and cluster settings cannot change until ${holding.length === 1 ? "it ends" : "they end"}.`,
          );
        }
      }
      const merged = mergeEnv(current.env, keepEnv, input.env);
      if (!merged.ok) throw new AppError("INVALID", `${merged.field}: ${merged.message}`);
      const [row] = await tx
        .update(computeEnvs)
        // A check answered for the old settings says nothing about the new ones.
        .set({ ...input, env: merged.env, checkRequestedAt: null, checkedAt: null, checkOk: null, checkMessage: null })
        .where(where)
        .returning();
      return row!;
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error)) throw new AppError("CONFLICT", `A compute environment named "${input.name}" already exists here.`);
      throw error;
    });
}
