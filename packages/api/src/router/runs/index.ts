import { z } from "zod";
import {
  findUserById,
  getPipeline,
  getRunInWorkspace,
  listRuns,
  overriddenSecretNames,
  readRunLog,
  workspaceAccessFacts,
  type TDatabase,
  type TRunEvent,
  type TRunListRow,
} from "@lockstep/db";
import { can, effectiveWorkspaceRole } from "@lockstep/auth";
import { describeNeeds, ZId, ZParams, ZSecretSelection } from "@lockstep/validators";
import { AppError } from "../../errors";
import { scrubPersonalNames } from "../../services/personal-secrets";
import { scanSecretNeeds, withNextflow } from "../../services/pipelines";
import { runReceipt } from "../../services/receipts";
import { runSecretVersions } from "../../services/secret-versions";
import { cancelRun, launchRun, secretsForLaunch } from "../../services/runs";
import { cursored, pageOf, pageOutput, withCursor, ZPageInput } from "../../paging";
import { router, workspaceProcedure } from "../../trpc";

const RUNS_SORT = "submitted";

/** A run changed: which, and its states. Never params, errors or secret names: a page refetches what it shows. */
export const ZRunEventOut = z.strictObject({
  id: z.string(),
  status: z.enum(["SUBMITTED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"]),
  secretsState: z.enum(["NONE", "PENDING", "PROVISIONED", "DELETING", "DELETED", "CLEANUP_FAILED"]),
});

/** How long a subscriber's access holds before the next event checks it again (a removed participant stops getting events). */
const RECHECK_MS = 30_000;

async function stillMayView(db: TDatabase, userId: string, workspaceId: string): Promise<boolean> {
  const [user, facts] = await Promise.all([findUserById(db, userId), workspaceAccessFacts(db, userId, workspaceId)]);
  if (!user || user.disabledAt || !facts) return false;
  const role = effectiveWorkspaceRole({
    personalOwnerId: facts.workspace.personalOwnerId,
    visibility: facts.workspace.visibility,
    participantRole: facts.participantRole,
    orgRole: facts.orgRole,
    userId,
  });
  return role !== null && can(role, "workspace:view");
}
const ZRunStatus = z.enum(["SUBMITTED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED", "LOST"]);
import { actorOf } from "../../actor";
import { ZLaunchNeedsOut, ZLogLineOut, ZReceiptOut, ZRunOut, ZRunSecretRefOut, ZRunSecretVersionsOut } from "../shapes";

/**
 * A run as `viewerId` may read it: the launcher sees their personal secrets by name; everyone else
 * sees only how many there were (`personalSecretCount`), and error texts with those names replaced.
 */
export function runOut(
  run: TRunListRow,
  launcher: { id: string | null; name: string | null; email: string | null } | null,
  viewerId: string,
): z.input<typeof ZRunOut> {
  const own = run.launchedBy !== null && run.launchedBy === viewerId;
  const visibleText = (text: string | null) =>
    text === null || own ? text : scrubPersonalNames(text, run.secretRefs, launcher?.name ?? null);
  return {
    id: run.id,
    status: run.status,
    secretsState: run.secretsState,
    pipelineId: run.pipelineId,
    pipelineName: run.pipelineName,
    repository: run.repository,
    revision: run.revision,
    computeEnvId: run.computeEnvId,
    computeEnvName: run.computeEnvName,
    computeEnvKind: run.computeEnvKind,
    cloudHead:
      (run.computeEnvKind === "aws-batch" || run.computeEnvKind === "google-batch") && run.executorRef && run.runDir
        ? { job: run.executorRef, workDir: run.runDir }
        : null,
    params: run.params,
    secretNames: run.secretRefs
      .filter((r) => own || r.source === "workspace")
      .map((r) => ({ name: r.name, source: r.source })),
    personalSecretCount: run.secretRefs.filter((r) => r.source === "user").length,
    launcher: launcher?.id ? { id: launcher.id, name: launcher.name ?? "", email: launcher.email ?? "" } : null,
    exitCode: run.exitCode,
    errorMessage: visibleText(run.errorMessage),
    cancelRequested: run.cancelRequested,
    progress: run.progress,
    submittedAt: run.submittedAt,
    provisionedAt: run.provisionedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    secretsDeletedAt: run.secretsDeletedAt,
    deadlineAt: run.deadlineAt,
    cleanupAttempts: run.cleanupAttempts,
    lastCleanupError: visibleText(run.lastCleanupError),
    redaction: run.redaction
      ? {
          occurrences: run.redaction.occurrences,
          files: run.redaction.files,
          scannedFiles: run.redaction.scannedFiles,
          at: run.redaction.at,
        }
      : null,
  };
}

export const runsRouter = router({
  /**
   * What a launch would send. `secrets`: what "All" sends (workspace secrets, and your personal
   * ones only for names the pipeline needs when its needs are known). `needs`: with a pipeline,
   * what its sources ask for (scanned now, as a launch does) and where each name would come from.
   */
  effectiveSecrets: workspaceProcedure("runs:launch")
    .input(z.object({ pipelineId: ZId.optional() }).default({}))
    .output(
      z.object({
        personal: z.boolean(),
        secrets: z.array(ZRunSecretRefOut),
        /** Names of the caller's secrets that override a workspace secret of the same name. */
        overridden: z.array(z.string()),
        needs: ZLaunchNeedsOut.nullable(),
      }),
    )
    .query(async ({ ctx, input }) => {
      const pipeline = input.pipelineId ? await getPipeline(ctx.db, ctx.workspace.id, input.pipelineId) : undefined;
      if (input.pipelineId && !pipeline) throw new AppError("NOT_FOUND", "No such pipeline.");
      const needs = pipeline
        ? withNextflow(
            await scanSecretNeeds(pipeline.repository, ctx.config.localPipelineRoots),
            pipeline.nextflowSecrets,
          )
        : null;
      const all = await secretsForLaunch(
        ctx.db,
        ctx.workspace,
        ctx.user.id,
        { mode: "all" },
        pipeline ? { optionalSecrets: pipeline.optionalSecrets, needs } : null,
      );
      const overridden = ctx.workspace.personalOwnerId
        ? []
        : await overriddenSecretNames(ctx.db, ctx.workspace.id, ctx.user.id);
      return {
        personal: ctx.workspace.personalOwnerId !== null,
        secrets: all.refs.map((r) => ({ name: r.name, source: r.source })),
        overridden,
        needs: needs
          ? {
              known: needs.status === "known",
              description: describeNeeds(needs),
              reason: needs.status === "unknown" ? needs.reason : null,
              fingerprint: needs.status === "known" ? needs.fingerprint : null,
              problems: needs.status === "known" ? needs.problems : [],
              items: all.plan,
            }
          : null,
      };
    }),

  launch: workspaceProcedure("runs:launch")
    .input(
      z.object({
        pipelineId: ZId,
        computeEnvId: ZId.optional(),
        params: ZParams.optional(),
        secrets: ZSecretSelection.optional(),
      }),
    )
    .output(ZRunOut)
    .mutation(async ({ ctx, input }) => {
      const run = await launchRun(
        { db: ctx.db, queues: ctx.queues, localPipelineRoots: ctx.config.localPipelineRoots },
        ctx.workspace,
        { ...actorOf(ctx), isInstanceAdmin: ctx.user.isInstanceAdmin, name: ctx.user.name },
        input,
      );
      return runOut(run, ctx.user, ctx.user.id);
    }),

  /** Newest first, one page: pass the last run's `cursor` for the next (older) page. */
  list: workspaceProcedure("workspace:view")
    .input(
      ZPageInput.extend({
        /** The id of the last run of the previous page: the same as its `cursor`, with one more lookup. */
        after: ZId.optional(),
        /** Deprecated (millisecond precision can skip runs at a page boundary): use `cursor`. */
        before: z.coerce.date().optional(),
        /** Only runs in these states. */
        status: z.array(ZRunStatus).max(6).optional(),
      }).default({ limit: 50 }),
    )
    .output(pageOutput(withCursor(ZRunOut)))
    .query(async ({ ctx, input }) => {
      const page = pageOf(input, RUNS_SORT);
      const rows = await listRuns(ctx.db, ctx.workspace.id, input.limit, {
        after: input.after,
        before: input.before,
        cursor: page.after,
        search: page.search,
        status: input.status,
      });
      // runOut's object gets its cursor in place (not a copy of its thirty fields).
      return cursored(rows, RUNS_SORT, (r) => r.run.id).map((r) =>
        Object.assign(runOut(r.run, r.launcher, ctx.user.id), { cursor: r.cursor }),
      );
    }),

  /**
   * Pushed run changes (SSE): each time a run of this workspace (or `runId` only) changes state or
   * progress, its id and states. Nothing runs while nothing changes: no poll, no timer. Only the
   * workspace the caller may view; access is checked again on an event after 30 s, so someone
   * removed from the workspace stops receiving.
   */
  onChange: workspaceProcedure("workspace:view")
    .meta({ events: ZRunEventOut })
    .input(z.object({ runId: ZId.optional() }))
    .subscription(async function* ({ ctx, input, signal }) {
      if (!ctx.runEvents)
        throw new AppError("INVALID", "Live run updates are not available on this server; refresh the page instead.");
      // Latest state per run: a slow reader gets each changed run once, not a growing backlog.
      const pending = new Map<string, TRunEvent>();
      let wake: (() => void) | null = null;
      const unsubscribe = ctx.runEvents.subscribe(ctx.workspace.id, (event) => {
        if (input.runId && event.id !== input.runId) return;
        pending.set(event.id, event);
        wake?.();
      });
      let checkedAt = Date.now();
      try {
        while (!signal?.aborted) {
          if (pending.size === 0) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              signal?.addEventListener("abort", () => resolve(), { once: true });
            });
            wake = null;
            continue;
          }
          if (Date.now() - checkedAt > RECHECK_MS) {
            if (!(await stillMayView(ctx.db, ctx.user.id, ctx.workspace.id))) return;
            checkedAt = Date.now();
          }
          const events = [...pending.values()];
          pending.clear();
          for (const event of events)
            yield ZRunEventOut.parse({ id: event.id, status: event.status, secretsState: event.secretsState });
        }
      } finally {
        unsubscribe();
      }
    }),

  get: workspaceProcedure("workspace:view")
    .input(z.object({ runId: ZId }))
    .output(ZRunOut)
    .query(async ({ ctx, input }) => {
      const found = await getRunInWorkspace(ctx.db, ctx.workspace.id, input.runId);
      if (!found) throw new AppError("NOT_FOUND", "No such run.");
      return runOut(found.run, found.launcher, ctx.user.id);
    }),

  /** The run's deletion receipt (locations and times only; exportable as JSON from the run page). */
  receipt: workspaceProcedure("workspace:view")
    .input(z.object({ runId: ZId }))
    .output(ZReceiptOut)
    .query(async ({ ctx, input }) => {
      const found = await getRunInWorkspace(ctx.db, ctx.workspace.id, input.runId);
      if (!found) throw new AppError("NOT_FOUND", "No such run.");
      return runReceipt(ctx.db, found.run, found.launcher?.name ?? null, ctx.user.id);
    }),

  /**
   * Which version of each secret the run received, and whether it changed since (what a relaunch
   * warns about). With `sameAs`, another run of this workspace: whether each secret had the same
   * value there, answered by comparing keyed fingerprints here (they are never returned).
   */
  secretVersions: workspaceProcedure("workspace:view")
    .input(z.object({ runId: ZId, sameAs: ZId.optional() }))
    .output(ZRunSecretVersionsOut)
    .query(async ({ ctx, input }) => {
      const found = await getRunInWorkspace(ctx.db, ctx.workspace.id, input.runId);
      if (!found) throw new AppError("NOT_FOUND", "No such run.");
      const other = input.sameAs ? await getRunInWorkspace(ctx.db, ctx.workspace.id, input.sameAs) : null;
      if (input.sameAs && !other) throw new AppError("NOT_FOUND", "sameAs: no such run in this workspace.");
      return runSecretVersions(ctx.db, found.run, ctx.user.id, other?.run ?? null);
    }),

  cancel: workspaceProcedure("runs:cancel-own")
    .input(z.object({ runId: ZId }))
    .output(z.object({ ok: z.literal(true) }))
    .mutation(({ ctx, input }) =>
      cancelRun({ db: ctx.db, queues: ctx.queues }, ctx.workspace, ctx.role, actorOf(ctx), input.runId),
    ),

  /** The log as the worker stored it: secret values already masked. */
  logs: workspaceProcedure("workspace:view")
    .input(
      z.object({
        runId: ZId,
        afterSeq: z.number().int().min(0).default(0),
        limit: z.number().int().min(1).max(2000).default(500),
      }),
    )
    .output(z.object({ lines: z.array(ZLogLineOut) }))
    .query(async ({ ctx, input }) => {
      if (!(await getRunInWorkspace(ctx.db, ctx.workspace.id, input.runId)))
        throw new AppError("NOT_FOUND", "No such run.");
      return { lines: await readRunLog(ctx.db, input.runId, input.afterSeq, input.limit) };
    }),
});
