import {
  findUserById,
  getInstanceSettings,
  recordAudit,
  saveInstanceSettings,
  setInstanceAdmin,
  type TDatabase,
  type THostComputeEnvsPolicy,
} from "@lockstep/db";
import { AppError } from "../errors";
import type { TActor } from "./secrets";

/** Changes the instance settings; an audit event records each setting that actually changed. */
export async function updateInstanceSettings(db: TDatabase, actor: TActor, values: { hostComputeEnvs: THostComputeEnvsPolicy }) {
  return db.transaction(async (tx) => {
    const before = await getInstanceSettings(tx, { forUpdate: true });
    if (before.hostComputeEnvs === values.hostComputeEnvs) return before;
    const after = await saveInstanceSettings(tx, values, actor.id);
    await recordAudit(tx, {
      actorId: actor.id,
      actorEmail: actor.email,
      ip: actor.ip,
      userAgent: actor.userAgent,
      action: "instance.settings_updated",
      targetType: "instance",
      targetName: "hostComputeEnvs",
      detail: { setting: "hostComputeEnvs", from: before.hostComputeEnvs, to: after.hostComputeEnvs },
    });
    return after;
  });
}

/** Grants or revokes instance admin; the instance always keeps at least one. */
export async function setUserInstanceAdmin(db: TDatabase, actor: TActor, userId: string, isInstanceAdmin: boolean) {
  return db.transaction(async (tx) => {
    const result = await setInstanceAdmin(tx, userId, isInstanceAdmin);
    if (result.status === "not-found") throw new AppError("NOT_FOUND", "No such user.");
    if (result.status === "last-admin") {
      throw new AppError("CONFLICT", "userId: This is the instance's only admin. Make someone else an instance admin first.");
    }
    if (result.status === "changed") {
      await recordAudit(tx, {
        actorId: actor.id,
        actorEmail: actor.email,
        ip: actor.ip,
        userAgent: actor.userAgent,
        action: isInstanceAdmin ? "instance.admin_granted" : "instance.admin_revoked",
        targetType: "user",
        targetId: result.user.id,
        targetName: result.user.email,
      });
    }
    return result.user;
  });
}

export async function personOf(db: TDatabase, userId: string | null) {
  const user = userId ? await findUserById(db, userId) : null;
  return user ? { id: user.id, name: user.name, email: user.email } : null;
}
