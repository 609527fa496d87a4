import { secretHistory, type TDbOrTx, type TSecretOwner } from "@lockstep/db";
import { AppError } from "../errors";

/** A secret's versions, newest first; a secret of another owner (another tenant, another user) is NOT_FOUND. */
export async function historyOf(
  db: TDbOrTx,
  owner: TSecretOwner,
  input: { secretId: string; limit: number; cursor?: number },
) {
  const found = await secretHistory(db, owner, input.secretId, { limit: input.limit + 1, beforeVersion: input.cursor });
  if (!found) throw new AppError("NOT_FOUND", "No such secret.");
  const page = found.versions.slice(0, input.limit);
  return {
    id: found.id,
    name: found.name,
    versions: page,
    nextCursor: found.versions.length > input.limit ? page.at(-1)!.version : null,
  };
}
