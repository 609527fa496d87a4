import {
  findCredential,
  getInstanceSettings,
  insertComputeEnv,
  lockComputeEnv,
  runsHoldingComputeEnv,
  updateComputeEnvRow,
  type TComputeEnv,
  type TDatabase,
  type TDbOrTx,
} from "@lockstep/db";
import {
  envNameProblem,
  isSshComputeKind,
  MAX_ENV_VARS,
  parseComputeEnv,
  sshSettingsOf,
  type TComputeEnvInput,
} from "@lockstep/validators";
import { AppError, isUniqueViolation } from "../errors";

/** Who is changing a compute environment: enough to tell whether they may touch host kinds. */
export type TComputeEnvEditor = { id: string; isInstanceAdmin: boolean };

/** Kinds whose runs execute on Lockstep's own machines (the worker, or host Slurm with the worker as submit host). */
export function isHostKind(kind: TComputeEnv["kind"]): kind is "local" | "slurm" {
  return kind === "local" || kind === "slurm";
}

/**
 * Local and host-Slurm environments run pipeline code on the machines that hold Lockstep's keys
 * and database: by default only an instance admin may create or edit them. An instance admin may
 * hand that to every workspace's maintainers (instance setting `hostComputeEnvs`).
 */
export async function assertMayManageHostKind(
  db: TDbOrTx,
  editor: TComputeEnvEditor,
  action: "create" | "edit",
): Promise<void> {
  if (editor.isInstanceAdmin) return;
  const { hostComputeEnvs } = await getInstanceSettings(db);
  if (hostComputeEnvs === "workspace-maintainers") return;
  throw new AppError(
    "FORBIDDEN",
    `computeEnv.kind: Only an instance admin can ${action} local or host Slurm compute environments on this instance.`,
  );
}

/** A cloud environment's credentials must be this workspace's, for the same cloud. */
async function checkCredential(db: TDbOrTx, workspaceId: string, input: TComputeEnvInput) {
  if (input.kind === "local" || input.kind === "slurm") return;
  const credential = await findCredential(db, workspaceId, input.config.credentialId);
  const wanted = input.kind === "aws-batch" ? "aws" : input.kind === "google-batch" ? "google" : "ssh";
  if (!credential || credential.provider !== wanted) {
    throw new AppError(
      "INVALID",
      `computeEnv.config.credentialId: choose ${{ aws: "AWS", google: "Google", ssh: "SSH" }[wanted]} credentials of this workspace.`,
    );
  }
}

const PIN_REFUSED =
  'computeEnv.config.hostKeySha256: a host key is trusted only by confirming the fingerprint the login node presents at "Check connection"; leave it out.';

/** The SSH settings an input carries, narrowed on its kind. */
function sshInputSettingsOf(input: TComputeEnvInput) {
  switch (input.kind) {
    case "ssh-slurm":
    case "ssh-lsf":
    case "ssh-pbspro":
    case "ssh-sge":
      return input.config;
    default:
      return null;
  }
}

/**
 * The confirmed host key of an SSH environment is never set by a create or an edit (only by
 * confirming what a check saw, computeEnvs.confirmHostKey). An edit keeps it while the login node
 * (host, port) stays the same; pointing the environment elsewhere drops it, so the new node's key
 * must be checked and confirmed before anything is sent there.
 */
function keepHostKey(current: TComputeEnv | null, input: TComputeEnvInput): TComputeEnvInput {
  const after = sshInputSettingsOf(input);
  if (!after) return input;
  const before = current && isSshComputeKind(current.kind) ? sshSettingsOf(parseComputeEnv(current)) : null;
  const samePlace = before !== null && before.host === after.host && before.port === after.port;
  const kept = samePlace ? before.hostKeySha256 : undefined;
  if (after.hostKeySha256 !== undefined && after.hostKeySha256 !== kept) throw new AppError("INVALID", PIN_REFUSED);
  const { hostKeySha256: _given, ...rest } = after;
  void _given;
  return { ...input, config: { ...rest, ...(kept ? { hostKeySha256: kept } : {}) } } as TComputeEnvInput;
}

export async function createComputeEnv(
  db: TDatabase,
  workspaceId: string,
  editor: TComputeEnvEditor,
  input: TComputeEnvInput,
): Promise<TComputeEnv> {
  if (isHostKind(input.kind)) await assertMayManageHostKind(db, editor, "create");
  await checkCredential(db, workspaceId, input);
  input = keepHostKey(null, input);
  try {
    return await insertComputeEnv(db, { ...input, workspaceId, createdBy: editor.id });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new AppError("CONFLICT", `A compute environment named "${input.name}" already exists here.`);
    throw error;
  }
}

export type TEnvMerge =
  | { ok: true; env: Record<string, string> }
  | { ok: false; field: "keepEnv" | "computeEnv.env" | `computeEnv.env.${string}`; message: string };

/**
 * The environment an edit leaves: the stored values of the kept names, then the given ones (a name
 * both kept and given takes the given value). Values are write-only, so an edit that did not list a
 * stored name in `keep` or `given` removes it.
 */
export function mergeEnv(
  stored: Record<string, string>,
  keep: readonly string[],
  given: Record<string, string>,
): TEnvMerge {
  const env: Record<string, string> = {};
  for (const name of keep) {
    if (!Object.hasOwn(stored, name))
      return { ok: false, field: "keepEnv", message: `${name} is not set on this compute environment` };
    // Stored before the variable rules existed: keeping it is setting it again.
    const problem = envNameProblem(name);
    if (problem) return { ok: false, field: `computeEnv.env.${name}`, message: `${name} ${problem}; remove it` };
    env[name] = stored[name]!;
  }
  Object.assign(env, given);
  const count = Object.keys(env).length;
  if (count > MAX_ENV_VARS) {
    return {
      ok: false,
      field: "computeEnv.env",
      message: `at most ${MAX_ENV_VARS} environment variables (${count} kept and given)`,
    };
  }
  return { ok: true, env };
}

/** The first setting a running run depends on that an edit would change, or null. */
export function storeFieldsChanged(
  current: Pick<TComputeEnv, "kind" | "workDir" | "config">,
  input: Pick<TComputeEnvInput, "kind" | "workDir" | "config">,
): string | null {
  if (current.kind !== input.kind) return "kind";
  if (current.workDir !== input.workDir) return "workDir";
  const before: Record<string, unknown> = current.config;
  const after: Record<string, unknown> = input.config ?? {};
  for (const key of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) return `config.${key}`;
  }
  return null;
}

/**
 * Replaces an environment's settings; its stored variables survive only where `keepEnv` names them.
 * Editing a host environment, or turning one into a host environment, needs the host-kind right.
 */
export async function updateComputeEnv(
  db: TDatabase,
  workspaceId: string,
  editor: TComputeEnvEditor,
  computeEnvId: string,
  input: TComputeEnvInput,
  keepEnv: readonly string[],
): Promise<TComputeEnv> {
  return db
    .transaction(async (tx) => {
      // Locked so a concurrent edit cannot slip a variable in between reading and writing the set.
      const current = await lockComputeEnv(tx, workspaceId, computeEnvId);
      // Absent (or another workspace's) first: NOT_FOUND before any FORBIDDEN, so nothing can be probed.
      if (!current) throw new AppError("NOT_FOUND", "No such compute environment.");
      if (isHostKind(current.kind) || isHostKind(input.kind)) await assertMayManageHostKind(tx, editor, "edit");
      await checkCredential(tx, workspaceId, input);
      input = keepHostKey(current, input);
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
      const row = await updateComputeEnvRow(tx, workspaceId, computeEnvId, {
        ...input,
        env: merged.env,
        // A check answered for the old settings says nothing about the new ones.
        checkRequestedAt: null,
        checkedAt: null,
        checkOk: null,
        checkMessage: null,
        checkHostKey: null,
      });
      return row!;
    })
    .catch((error: unknown) => {
      if (isUniqueViolation(error))
        throw new AppError("CONFLICT", `A compute environment named "${input.name}" already exists here.`);
      throw error;
    });
}
