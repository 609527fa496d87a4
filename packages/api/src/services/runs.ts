import { can, type TWorkspaceRole } from "@lockstep/auth";
import {
  effectiveSecretRefs,
  getComputeEnv,
  getPipeline,
  getRunInWorkspace,
  insertRun,
  isTerminal,
  recordAudit,
  runSecretsAuditDetail,
  updateRunIf,
  type TDatabase,
  type TRunSecretRef,
  type TWorkspace,
} from "@lockstep/db";
import { enqueue, type TQueues } from "@lockstep/queue";
import { headEnvProblems, type TSecretSelection } from "@lockstep/validators";
import { AppError } from "../errors";
import { isHostKind } from "./compute-envs";
import { assertPipelineSource } from "./pipelines";
import type { TActor } from "./secrets";

/** The secrets a launch would send, by name and source. Personal workspaces send none (Seqera's rule). */
export async function secretsForLaunch(db: TDatabase, workspace: TWorkspace, userId: string, selection: TSecretSelection): Promise<TRunSecretRef[]> {
  if (workspace.personalOwnerId || selection.mode === "none") return [];
  const all = await effectiveSecretRefs(db, workspace.id, userId);
  if (selection.mode === "all") return all;
  const byName = new Map(all.map((r) => [r.name, r]));
  const missing = selection.names.filter((n) => !byName.has(n));
  if (missing.length > 0) throw new AppError("INVALID", `secrets: no secret named ${missing.join(", ")} in this workspace or your secrets.`);
  return [...new Set(selection.names)].map((n) => byName.get(n)!);
}

export async function launchRun(
  deps: { db: TDatabase; queues: TQueues; localPipelineRoots: readonly string[] },
  workspace: TWorkspace,
  actor: TActor & { isInstanceAdmin: boolean; name: string },
  input: { pipelineId: string; computeEnvId?: string; params?: Record<string, string | number | boolean>; secrets: TSecretSelection },
) {
  const { db } = deps;
  const pipeline = await getPipeline(db, workspace.id, input.pipelineId);
  if (!pipeline) throw new AppError("NOT_FOUND", "No such pipeline in this workspace.");
  const computeEnvId = input.computeEnvId ?? pipeline.defaultComputeEnvId;
  if (!computeEnvId) throw new AppError("INVALID", "computeEnvId: choose a compute environment (the pipeline has no default).");
  const ce = await getComputeEnv(db, workspace.id, computeEnvId);
  if (!ce) throw new AppError("NOT_FOUND", "No such compute environment in this workspace.");
  if ((ce.kind === "aws-batch" || ce.kind === "google-batch") && !pipeline.repository.startsWith("https://")) {
    // The head runs in a container in the cloud: a path on Lockstep's machine means nothing there.
    throw new AppError("INVALID", `computeEnvId: ${ce.name} runs pipelines in the cloud; the pipeline's repository must be an https:// URL, not a path.`);
  }
  // Anyone can sign up and gets a personal workspace: a stranger must never run code on Lockstep's
  // own machines, whoever created the environment there.
  if (workspace.personalOwnerId && isHostKind(ce.kind) && !actor.isInstanceAdmin) {
    throw new AppError(
      "FORBIDDEN",
      `computeEnvId: Only an instance admin can launch runs on local or host Slurm compute environments from a personal workspace; launch from an organization workspace, or choose a cloud compute environment.`,
    );
  }
  // Checked again at launch: the directory may have changed since the pipeline was saved.
  await assertPipelineSource(pipeline.repository, deps.localPipelineRoots, "pipelineId", "This pipeline cannot be run from its path. ");
  // Stored before the variable and Slurm option rules existed (the worker checks again before the head starts).
  const refused = headEnvProblems(ce);
  if (refused.length > 0) {
    throw new AppError(
      "INVALID",
      `computeEnvId: ${ce.name} has settings Lockstep no longer allows: ${refused.map((p) => p.message).join("; ")}. An owner, admin or maintainer must remove ${refused.length === 1 ? "it" : "them"} before it can start runs.`,
    );
  }
  const refs = await secretsForLaunch(db, workspace, actor.id, input.secrets);
  const run = await db.transaction(async (tx) => {
    const row = await insertRun(tx, {
      workspaceId: workspace.id,
      pipelineId: pipeline.id,
      computeEnvId: ce.id,
      launchedBy: actor.id,
      pipelineName: pipeline.name,
      repository: pipeline.repository,
      revision: pipeline.revision,
      computeEnvName: ce.name,
      computeEnvKind: ce.kind,
      params: { ...pipeline.defaultParams, ...(input.params ?? {}) },
      secretRefs: refs,
      secretsState: refs.length > 0 ? "PENDING" : "NONE",
      deadlineAt: new Date(Date.now() + ce.maxRunSeconds * 1000),
    });
    await recordAudit(tx, {
      actorId: actor.id,
      actorEmail: actor.email,
      ip: actor.ip,
      userAgent: actor.userAgent,
      action: "run.launched",
      workspaceId: workspace.id,
      targetType: "run",
      targetId: row.id,
      targetName: pipeline.name,
      runId: row.id,
      // Personal secrets by count only: the workspace's admins read this event.
      detail: { computeEnv: ce.name, ...runSecretsAuditDetail(refs, actor.name) },
    });
    return row;
  });
  // If Redis is down the run stays SUBMITTED and the sweeper enqueues it: Postgres is the record.
  await enqueue(deps.queues, "runs.provision", { runId: run.id }).catch(() => undefined);
  return run;
}

export async function cancelRun(deps: { db: TDatabase; queues: TQueues }, workspace: TWorkspace, role: TWorkspaceRole, actor: TActor, runId: string) {
  const found = await getRunInWorkspace(deps.db, workspace.id, runId);
  if (!found) throw new AppError("NOT_FOUND", "No such run.");
  const own = found.run.launchedBy === actor.id;
  if (!own && !can(role, "runs:cancel-any")) throw new AppError("FORBIDDEN", `Your role (${role}) may cancel only runs you launched.`);
  if (isTerminal(found.run.status)) throw new AppError("CONFLICT", `The run has already ended (${found.run.status}).`);
  await updateRunIf(deps.db, runId, { status: ["SUBMITTED", "RUNNING"] }, { cancelRequested: true });
  await recordAudit(deps.db, {
    actorId: actor.id,
    actorEmail: actor.email,
    ip: actor.ip,
    userAgent: actor.userAgent,
    action: "run.cancel_requested",
    workspaceId: workspace.id,
    targetType: "run",
    targetId: runId,
    targetName: found.run.pipelineName,
    runId,
  });
  await enqueue(deps.queues, "runs.cancel", { runId }).catch(() => undefined);
  return { ok: true as const };
}
