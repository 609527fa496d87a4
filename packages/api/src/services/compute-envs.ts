import { and, eq, schema, type TComputeEnv, type TDatabase } from "@lockstep/db";
import { envNameProblem, MAX_ENV_VARS, type TComputeEnvInput } from "@lockstep/validators";
import { AppError, isUniqueViolation } from "../errors";

const { computeEnvs } = schema;

export type TEnvMerge = { ok: true; env: Record<string, string> } | { ok: false; field: "keepEnv" | "computeEnv.env" | `computeEnv.env.${string}`; message: string };

/**
 * The environment an edit leaves: the stored values of the kept names, then the given ones (a name
 * both kept and given takes the given value). Values are write-only, so an edit that did not list a
 * stored name in `keep` or `given` removes it.
 */
export function mergeEnv(stored: Record<string, string>, keep: readonly string[], given: Record<string, string>): TEnvMerge {
  const env: Record<string, string> = {};
  for (const name of keep) {
    if (!Object.hasOwn(stored, name)) return { ok: false, field: "keepEnv", message: `${name} is not set on this compute environment` };
    // Stored before the variable rules existed: keeping it is setting it again.
    const problem = envNameProblem(name);
    if (problem) return { ok: false, field: `computeEnv.env.${name}`, message: `${name} ${problem}; remove it` };
    env[name] = stored[name]!;
  }
  Object.assign(env, given);
  const count = Object.keys(env).length;
  if (count > MAX_ENV_VARS) {
    return { ok: false, field: "computeEnv.env", message: `at most ${MAX_ENV_VARS} environment variables (${count} kept and given)` };
  }
  return { ok: true, env };
}

/** Replaces an environment's settings; its stored variables survive only where `keepEnv` names them. */
export async function updateComputeEnv(db: TDatabase, workspaceId: string, computeEnvId: string, input: TComputeEnvInput, keepEnv: readonly string[]): Promise<TComputeEnv> {
  const where = and(eq(computeEnvs.workspaceId, workspaceId), eq(computeEnvs.id, computeEnvId));
  return db
    .transaction(async (tx) => {
      // Locked so a concurrent edit cannot slip a variable in between reading and writing the set.
      const [current] = await tx.select({ env: computeEnvs.env }).from(computeEnvs).where(where).for("update");
      if (!current) throw new AppError("NOT_FOUND", "No such compute environment.");
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
