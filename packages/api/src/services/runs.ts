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
  setPipelineSecretNeeds,
  updateRunIf,
  type TDatabase,
  type TPipeline,
  type TRunSecretRef,
  type TWorkspace,
} from "@lockstep/db";
import { enqueue, type TQueues } from "@lockstep/queue";
import {
  headEnvProblems,
  type TPipelineSecretNeeds,
  type TSecretSelection,
  type TSecretUse,
} from "@lockstep/validators";
import { AppError } from "../errors";
import { isHostKind } from "./compute-envs";
import { assertPipelineSource, requestNextflowCheck, scanSecretNeeds, withNextflow } from "./pipelines";
import type { TActor } from "./secrets";

/** One name the pipeline needs, and where a launch by this user would take it from. */
export type TNeedPlan = {
  name: string;
  uses: TSecretUse[];
  optional: boolean;
  source: "workspace" | "user" | "missing";
};

/** What a launch would send, and why: the refs, the needs it was planned against, optional names left out. */
export type TSecretPlan = {
  mode: TSecretSelection["mode"];
  refs: TRunSecretRef[];
  needs: TPipelineSecretNeeds | null;
  plan: TNeedPlan[];
  /** Optional names with no value: left out of the run. */
  skipped: string[];
};

/** Optional names: the pipeline setting plus the sources' `// lockstep: optional NAME` comments. */
export function optionalNames(
  pipeline: Pick<TPipeline, "optionalSecrets">,
  needs: TPipelineSecretNeeds | null,
): Set<string> {
  return new Set([...pipeline.optionalSecrets, ...(needs?.status === "known" ? needs.optional : [])]);
}

export function planNeeds(
  all: TRunSecretRef[],
  needs: TPipelineSecretNeeds | null,
  optional: Set<string>,
): TNeedPlan[] {
  if (needs?.status !== "known") return [];
  const byName = new Map(all.map((r) => [r.name, r]));
  return needs.needs.map((n) => ({
    name: n.name,
    uses: n.uses,
    optional: optional.has(n.name),
    source: byName.get(n.name)?.source ?? "missing",
  }));
}

/**
 * The secrets a launch would send, by name and source. Personal workspaces send none (Seqera's
 * rule). With no selection: what the pipeline needs when that is known, else everything (as before
 * needs were scanned). A personal secret reaches a run only for a name the pipeline needs, unless
 * the needs are unknown (then "all" keeps its old meaning) or the user names it explicitly.
 */
export async function secretsForLaunch(
  db: TDatabase,
  workspace: TWorkspace,
  userId: string,
  selection: TSecretSelection | undefined,
  pipeline: (Pick<TPipeline, "optionalSecrets"> & { needs: TPipelineSecretNeeds | null }) | null = null,
): Promise<TSecretPlan> {
  const needs = pipeline?.needs ?? null;
  const known = needs?.status === "known";
  const mode = selection?.mode ?? (known ? "needed" : "all");
  if (workspace.personalOwnerId || mode === "none") return { mode, refs: [], needs, plan: [], skipped: [] };
  const all = await effectiveSecretRefs(db, workspace.id, userId);
  const optional = pipeline ? optionalNames(pipeline, needs) : new Set<string>();
  const plan = planNeeds(all, needs, optional);
  const byName = new Map(all.map((r) => [r.name, r]));
  if (selection?.mode === "selected") {
    const missing = selection.names.filter((n) => !byName.has(n) && !optional.has(n));
    if (missing.length > 0)
      throw new AppError(
        "INVALID",
        `secrets: no secret named ${missing.join(", ")} in this workspace or your secrets.`,
      );
    const skipped = selection.names.filter((n) => !byName.has(n));
    return {
      mode,
      refs: [...new Set(selection.names)].filter((n) => byName.has(n)).map((n) => byName.get(n)!),
      needs,
      plan,
      skipped,
    };
  }
  if (mode === "all") {
    const needed = new Set(plan.map((p) => p.name));
    const refs = known ? all.filter((r) => r.source === "workspace" || needed.has(r.name)) : all;
    return {
      mode,
      refs,
      needs,
      plan,
      skipped: plan.filter((p) => p.source === "missing" && p.optional).map((p) => p.name),
    };
  }
  // "needed"
  if (!known) {
    const why = needs?.status === "unknown" ? needs.reason : "the pipeline has not been scanned";
    throw new AppError(
      "INVALID",
      `secrets: what this pipeline needs is unknown until launch (${why}); choose the secrets to send ("Only these") or send all.`,
    );
  }
  const missing = plan.filter((p) => p.source === "missing" && !p.optional).map((p) => p.name);
  if (missing.length > 0) {
    throw new AppError(
      "INVALID",
      `secrets: the pipeline needs ${missing.join(", ")}, which ${missing.length === 1 ? "has" : "have"} no value in this workspace or your secrets. Add ${missing.length === 1 ? "it" : "them"} (workspace Secrets tab, or your personal secrets), or mark ${missing.length === 1 ? "it" : "them"} optional in the pipeline's settings.`,
    );
  }
  return {
    mode,
    refs: plan.filter((p) => p.source !== "missing").map((p) => byName.get(p.name)!),
    needs,
    plan,
    skipped: plan.filter((p) => p.source === "missing").map((p) => p.name),
  };
}

export async function launchRun(
  deps: { db: TDatabase; queues: TQueues; localPipelineRoots: readonly string[] },
  workspace: TWorkspace,
  actor: TActor & { isInstanceAdmin: boolean; name: string },
  input: {
    pipelineId: string;
    computeEnvId?: string;
    params?: Record<string, string | number | boolean>;
    secrets?: TSecretSelection;
  },
) {
  const { db } = deps;
  const pipeline = await getPipeline(db, workspace.id, input.pipelineId);
  if (!pipeline) throw new AppError("NOT_FOUND", "No such pipeline in this workspace.");
  const computeEnvId = input.computeEnvId ?? pipeline.defaultComputeEnvId;
  if (!computeEnvId)
    throw new AppError("INVALID", "computeEnvId: choose a compute environment (the pipeline has no default).");
  const ce = await getComputeEnv(db, workspace.id, computeEnvId);
  if (!ce) throw new AppError("NOT_FOUND", "No such compute environment in this workspace.");
  if ((ce.kind === "aws-batch" || ce.kind === "google-batch") && !pipeline.repository.startsWith("https://")) {
    // The head runs in a container in the cloud: a path on Lockstep's machine means nothing there.
    throw new AppError(
      "INVALID",
      `computeEnvId: ${ce.name} runs pipelines in the cloud; the pipeline's repository must be an https:// URL, not a path.`,
    );
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
  await assertPipelineSource(
    pipeline.repository,
    deps.localPipelineRoots,
    "pipelineId",
    "This pipeline cannot be run from its path. ",
  );
  // Stored before the variable and Slurm option rules existed (the worker checks again before the head starts).
  const refused = headEnvProblems(ce);
  if (refused.length > 0) {
    throw new AppError(
      "INVALID",
      `computeEnvId: ${ce.name} has settings Lockstep no longer allows: ${refused.map((p) => p.message).join("; ")}. An owner, admin or maintainer must remove ${refused.length === 1 ? "it" : "them"} before it can start runs.`,
    );
  }
  // Scanned again at launch: the sources may have changed since the pipeline was saved.
  const scanned = await scanSecretNeeds(pipeline.repository, deps.localPipelineRoots);
  await setPipelineSecretNeeds(db, pipeline.id, scanned);
  // What the pinned Nextflow said of these same sources counts too; new sources are checked for the next launch.
  await requestNextflowCheck(deps.queues, pipeline.id, scanned, pipeline.nextflowSecrets);
  const needs = withNextflow(scanned, pipeline.nextflowSecrets);
  const secretPlan = await secretsForLaunch(db, workspace, actor.id, input.secrets, {
    optionalSecrets: pipeline.optionalSecrets,
    needs,
  });
  const refs = secretPlan.refs;
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
      detail: {
        computeEnv: ce.name,
        ...runSecretsAuditDetail(refs, actor.name),
        secretsMode: secretPlan.mode,
        ...(secretPlan.skipped.length > 0 ? { optionalLeftOut: secretPlan.skipped } : {}),
        ...(needs.status === "known" ? { sourceFingerprint: needs.fingerprint } : { needsUnknown: needs.reason }),
      },
    });
    return row;
  });
  // If Redis is down the run stays SUBMITTED and the sweeper enqueues it: Postgres is the record.
  await enqueue(deps.queues, "runs.provision", { runId: run.id }).catch(() => undefined);
  return run;
}

export async function cancelRun(
  deps: { db: TDatabase; queues: TQueues },
  workspace: TWorkspace,
  role: TWorkspaceRole,
  actor: TActor,
  runId: string,
) {
  const found = await getRunInWorkspace(deps.db, workspace.id, runId);
  if (!found) throw new AppError("NOT_FOUND", "No such run.");
  const own = found.run.launchedBy === actor.id;
  if (!own && !can(role, "runs:cancel-any"))
    throw new AppError("FORBIDDEN", `Your role (${role}) may cancel only runs you launched.`);
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
