import { recordAudit, recordComputeEnvCheck, getComputeEnvById, type TComputeEnv } from "@lockstep/db";
import { HostKeyMismatchError, probeHostKey } from "@lockstep/launcher";
import { ComputeEnvConfigError, isSshComputeKind, parseComputeEnv, sshSettingsOf } from "@lockstep/validators";
import type { TProviderKind } from "@lockstep/secrets";
import { withTarget } from "../../runtime";
import type { THandler } from "../types";

const MAX_MESSAGE = 500;

/** How the check names a secrets store that answered. */
const STORE: Record<TProviderKind, string> = {
  "nextflow-file": "The runs directory",
  "aws-secrets-manager": "Secrets Manager",
  "google-secret-manager": "Secret Manager",
  "ssh-file": "The cluster's launch directory",
};

/**
 * "Check connection" for a compute environment: opens its credentials, lists the secrets Lockstep
 * manages in its store (credentials open, authenticate and may list) and asks its executor whether
 * it can run heads (the Batch API for the queue or location; the sandbox and Slurm on this
 * machine). A failed check is the answer the admin asked for, so it is recorded and the job
 * succeeds; only a failure to record it is retried.
 */
export const check: THandler<"computeEnvs.check"> = async ({ computeEnvId, requestedAt }, _job, ctx) => {
  const ce = await getComputeEnvById(ctx.db, computeEnvId);
  if (!ce) return { skipped: "deleted" };

  let ok: boolean;
  let message: string;
  let hostKey: string | null = null;
  const node = sshNode(ce);
  if (node && !node.hostKeySha256) {
    // First check of an SSH cluster: the key the login node presents, for a person to confirm. Nothing is authenticated or sent.
    try {
      hostKey = await probeHostKey(node.host, node.port);
      ok = false;
      message = `The login node ${node.host}:${node.port} presented the host key ${hostKey}. Compare it with the fingerprint your cluster's administrators publish (ssh-keygen -l -f /etc/ssh/ssh_host_ed25519_key.pub on the login node) and confirm it; until then nothing is sent there.`;
    } catch (error) {
      ok = false;
      message = (error instanceof Error && error.message ? error.message : "unknown error").slice(0, MAX_MESSAGE);
    }
    return record(ctx, ce, requestedAt, { ok, message, hostKey });
  }
  try {
    message = await withTarget(ctx, ce, async ({ provider, executor }) => {
      await provider.listManaged();
      const { reached } = await executor.check();
      return `${STORE[provider.kind]} and ${reached} reachable`;
    });
    ok = true;
  } catch (error) {
    ok = false;
    // Provider and executor messages name the call and the cloud's reason; they never hold a secret value.
    message = (error instanceof Error && error.message ? error.message : "unknown error")
      .replace(/\s+/g, " ")
      .trim()
      .slice(0, MAX_MESSAGE);
    // A changed key can be confirmed too, by a person who learned the cluster's key was replaced.
    if (error instanceof HostKeyMismatchError) hostKey = error.presented;
  }
  return record(ctx, ce, requestedAt, { ok, message, hostKey });
};

/**
 * An SSH environment's login node and its confirmed host key; null for other kinds, and for stored
 * settings that do not fit the kind (the check then goes on to the target, which fails naming the field).
 */
function sshNode(ce: TComputeEnv): { host: string; port: number; hostKeySha256: string | null } | null {
  if (!isSshComputeKind(ce.kind)) return null;
  let config;
  try {
    config = sshSettingsOf(parseComputeEnv(ce));
  } catch (error) {
    if (error instanceof ComputeEnvConfigError) return null;
    throw error;
  }
  if (!config) return null;
  return { host: config.host, port: config.port, hostKeySha256: config.hostKeySha256 ?? null };
}

async function record(
  ctx: Parameters<THandler<"computeEnvs.check">>[2],
  ce: TComputeEnv,
  requestedAt: string,
  { ok, message, hostKey }: { ok: boolean; message: string; hostKey: string | null },
) {
  const recorded = await recordComputeEnvCheck(ctx.db, ce.id, new Date(requestedAt), {
    ok,
    message,
    at: new Date(),
    hostKey,
  });
  if (!recorded) return { superseded: true };
  await recordAudit(ctx.db, {
    actorId: null,
    actorEmail: null,
    ip: null,
    userAgent: `lockstep-worker/${ctx.worker.version}`,
    action: "computeEnv.checked",
    workspaceId: ce.workspaceId,
    targetType: "compute-env",
    targetId: ce.id,
    targetName: ce.name,
    detail: { ok },
  });
  ctx.logger.info({ computeEnvId: ce.id, ok }, "compute environment checked");
  return { ok };
}
