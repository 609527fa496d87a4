import { recordWebhookEvent, type TRun } from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import type { TProcessorContext } from "../processors/types";

/**
 * The worker's webhook events about a run. What a receiver gets: ids, names, statuses and times —
 * never an error text (it can quote a cloud API, a path or a personal secret's name), a value or a
 * ciphertext. Never throws: a webhook must not stop a run from ending or its secrets from being
 * deleted. The event rows are the record (the drain delivers them if the enqueue below fails).
 */
export async function emit(
  ctx: TProcessorContext,
  type: "run.finished" | "run.cleanup_failed",
  run: TRun,
  facts: { status?: TRun["status"]; exitCode?: number | null; attempts?: number } = {},
) {
  try {
    const status = facts.status ?? run.status;
    const data = {
      workspaceId: run.workspaceId,
      run: {
        id: run.id,
        status,
        exitCode: facts.exitCode ?? run.exitCode ?? null,
        pipelineId: run.pipelineId,
        pipelineName: run.pipelineName,
        computeEnvId: run.computeEnvId,
        computeEnvName: run.computeEnvName,
        launchedBy: run.launchedBy,
        submittedAt: run.submittedAt.toISOString(),
        startedAt: run.startedAt?.toISOString() ?? null,
        finishedAt: (run.finishedAt ?? new Date()).toISOString(),
      },
      ...(type === "run.cleanup_failed" ? { cleanup: { attempts: facts.attempts ?? run.cleanupAttempts } } : {}),
    };
    const deliveries = await ctx.db.transaction((tx) =>
      recordWebhookEvent(tx, { workspaceId: run.workspaceId, type, data }),
    );
    for (const deliveryId of deliveries)
      await enqueue(ctx.queues, "webhooks.deliver", { deliveryId, attempt: 1 }).catch(() => undefined);
  } catch (error) {
    ctx.logger.warn(
      { runId: run.id, event: type, err: error instanceof Error ? error.name : "unknown" },
      "could not record a webhook event",
    );
  }
}
