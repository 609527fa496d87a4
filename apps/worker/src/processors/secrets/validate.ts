import { UnrecoverableError } from "bullmq";
import { recordValueCheck, sealedSecretById } from "@lockstep/db";
import { secretValueProblem } from "@lockstep/validators";
import type { THandler } from "../types";

/**
 * A value sealed in a client never reaches the API in plaintext, so the API cannot check it
 * against the value rules: the worker opens it here, in memory, and records the rule it breaks
 * (the rule's words, never the value) for the secrets list to show. The record lands only on the
 * sealed value that was checked; an overwrite or re-seal meanwhile is checked again.
 */
export const validate: THandler<"secrets.validate"> = async ({ secretId }, _job, ctx) => {
  for (let attempt = 0; attempt < 3; attempt++) {
    const row = await sealedSecretById(ctx.db, secretId);
    if (!row) return { skipped: "deleted" };
    let value: string;
    try {
      value = await ctx.keys.opening.open(row.sealed, {
        scope: row.scope,
        ownerId: (row.scope === "workspace" ? row.workspaceId : row.userId)!,
        name: row.name,
      });
    } catch {
      throw new UnrecoverableError(`secret ${secretId} does not open with this worker's keys`);
    }
    const problem = secretValueProblem(value);
    if (await recordValueCheck(ctx.db, row.id, row.sealed, problem ? `Secret value ${problem}.` : null)) {
      if (problem)
        ctx.logger.info(
          { secretId, scope: row.scope },
          "a stored secret value breaks a value rule; the secrets list shows which",
        );
      return { valid: problem === null };
    }
  }
  return { raced: true };
};
