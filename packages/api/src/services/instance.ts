import {
  bumpSessionVersion,
  findUserById,
  getInstanceSettings,
  recordAudit,
  saveInstanceSettings,
  setInstanceAdmin,
  setUserDisabled,
  type TDatabase,
  type THostComputeEnvsPolicy,
  type TSignupPolicy,
  type TTx,
} from "@lockstep/db";
import type { TAuditAction } from "@lockstep/validators";
import { AppError } from "../errors";
import type { TActor } from "./secrets";

type TSettingsChange = {
  hostComputeEnvs?: THostComputeEnvsPolicy;
  signup?: TSignupPolicy | null;
  webhooksAllowHttp?: boolean;
  webhooksAllowedNetworks?: string[];
};

const shown = (v: string | boolean | string[] | null | undefined) => (Array.isArray(v) ? v.join(", ") : (v ?? null));

/**
 * Changes the instance settings given; an audit event records each setting that actually changed.
 * `signup: null` hands the sign-up policy back to LOCKSTEP_SIGNUP.
 */
export async function updateInstanceSettings(db: TDatabase, actor: TActor, values: TSettingsChange) {
  return db.transaction(async (tx) => {
    const before = await getInstanceSettings(tx, { forUpdate: true });
    const changed: TSettingsChange = {};
    if (values.hostComputeEnvs !== undefined && values.hostComputeEnvs !== before.hostComputeEnvs)
      changed.hostComputeEnvs = values.hostComputeEnvs;
    if (values.signup !== undefined && values.signup !== before.signup) changed.signup = values.signup;
    if (values.webhooksAllowHttp !== undefined && values.webhooksAllowHttp !== before.webhooksAllowHttp)
      changed.webhooksAllowHttp = values.webhooksAllowHttp;
    if (
      values.webhooksAllowedNetworks !== undefined &&
      values.webhooksAllowedNetworks.join(",") !== before.webhooksAllowedNetworks.join(",")
    ) {
      changed.webhooksAllowedNetworks = values.webhooksAllowedNetworks;
    }
    const settings = Object.keys(changed) as Array<keyof TSettingsChange>;
    if (settings.length === 0) return before;
    const after = await saveInstanceSettings(tx, changed, actor.id);
    await recordAudit(
      tx,
      settings.map((setting) => ({
        actorId: actor.id,
        actorEmail: actor.email,
        ip: actor.ip,
        userAgent: actor.userAgent,
        action: "instance.settings_updated",
        targetType: "instance",
        targetName: setting,
        detail: { setting, from: shown(before[setting]), to: shown(after[setting]) },
      })),
    );
    return after;
  });
}

type TUserChange<U extends { id: string; email: string }> =
  { status: "not-found" } | { status: "last-admin" } | { status: "changed" | "unchanged"; user: U };

/** One admin change to a user, in a transaction: refusals in words, an audit event when something changed. */
async function changeUser<U extends { id: string; email: string }>(
  db: TDatabase,
  actor: TActor,
  change: (tx: TTx) => Promise<TUserChange<U>>,
  { lastAdmin, action }: { lastAdmin: string; action: TAuditAction },
): Promise<U> {
  return db.transaction(async (tx) => {
    const result = await change(tx);
    if (result.status === "not-found") throw new AppError("NOT_FOUND", "No such user.");
    if (result.status === "last-admin")
      throw new AppError("CONFLICT", `userId: ${lastAdmin} Make someone else an instance admin first.`);
    if (result.status === "changed") {
      await recordAudit(tx, {
        actorId: actor.id,
        actorEmail: actor.email,
        ip: actor.ip,
        userAgent: actor.userAgent,
        action,
        targetType: "user",
        targetId: result.user.id,
        targetName: result.user.email,
      });
    }
    return result.user;
  });
}

/** Grants or revokes instance admin; the instance always keeps at least one. */
export async function setUserInstanceAdmin(db: TDatabase, actor: TActor, userId: string, isInstanceAdmin: boolean) {
  return changeUser(db, actor, (tx) => setInstanceAdmin(tx, userId, isInstanceAdmin), {
    lastAdmin: "This is the instance's only admin.",
    action: isInstanceAdmin ? "instance.admin_granted" : "instance.admin_revoked",
  });
}

/**
 * Disables or enables an account. A disabled account cannot sign in; its sessions end at once
 * (the session version moves on) and its access tokens are refused while it stays disabled.
 * Nobody disables themselves, nor the last active instance admin.
 */
export async function setUserDisabledByAdmin(db: TDatabase, actor: TActor, userId: string, disabled: boolean) {
  if (disabled && userId === actor.id) throw new AppError("INVALID", "userId: You cannot disable your own account.");
  return changeUser(db, actor, (tx) => setUserDisabled(tx, userId, disabled), {
    lastAdmin: "This is the instance's only active admin.",
    action: disabled ? "instance.user_disabled" : "instance.user_enabled",
  });
}

/** Ends every browser session of a user (as their own "sign out everywhere" does). */
export async function endUserSessions(db: TDatabase, actor: TActor, userId: string) {
  const user = await findUserById(db, userId);
  if (!user) throw new AppError("NOT_FOUND", "No such user.");
  await bumpSessionVersion(db, userId);
  await recordAudit(db, {
    actorId: actor.id,
    actorEmail: actor.email,
    ip: actor.ip,
    userAgent: actor.userAgent,
    action: "instance.sessions_ended",
    targetType: "user",
    targetId: user.id,
    targetName: user.email,
  });
  return { ok: true as const };
}

export async function personOf(db: TDatabase, userId: string | null) {
  const user = userId ? await findUserById(db, userId) : null;
  return user ? { id: user.id, name: user.name, email: user.email } : null;
}
