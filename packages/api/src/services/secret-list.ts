import { z } from "zod";
import { listSecretMetadata, secretSorts, type TDbOrTx, type TSecretOwner } from "@lockstep/db";
import { cursored, pageOf, ZPageInput } from "../paging";

/** What a secrets list (workspace or personal) takes: a page, by name or last written first. */
export const ZSecretListInput = ZPageInput.extend({ sort: z.enum(secretSorts).default("name") }).default({
  limit: 50,
  sort: "name",
});

/** A page of a secrets list (workspace or personal): rows with their cursors. */
export async function listSecretPage(db: TDbOrTx, owner: TSecretOwner, input: z.output<typeof ZSecretListInput>) {
  const rows = await listSecretMetadata(db, owner, { ...pageOf(input, input.sort), sort: input.sort });
  return cursored(rows, input.sort, (r) => r.id);
}
