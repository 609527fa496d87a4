import { mkdir } from "node:fs/promises";
import { UnrecoverableError } from "bullmq";
import { isTerminal, markSecretsUsed, updateRunIf } from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { ProviderError } from "@lockstep/secrets";
import { providerFor, runDirOf } from "../../runtime";
import type { THandler } from "../types";
import { finishRun, loadComputeEnv, loadRun, openRunSecrets, workerAudit } from "./common";

/** Pushes exactly the run's secrets into its compute environment's store (idempotent). */
export const provision: THandler<"runs.provision"> = async ({ runId }, _job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { skipped: run.status };
  if (run.cancelRequested) {
    await finishRun(ctx, run, "CANCELLED", { errorMessage: "cancelled before it started" });
    return { cancelled: true };
  }
  if (run.provisionedAt) {
    await enqueue(ctx.queues, "runs.launch", { runId });
    return { alreadyProvisioned: true };
  }
  const ce = await loadComputeEnv(ctx, run);
  if (!ce) {
    await finishRun(ctx, run, "FAILED", { errorMessage: "its compute environment was deleted before it started" });
    return { failed: true };
  }
  const runDir = runDirOf(ce, run);
  await mkdir(runDir, { recursive: true, mode: 0o755 });
  let headEnv: Record<string, string> = {};
  if (run.secretRefs.length > 0) {
    const { opened, missing } = await openRunSecrets(ctx, run);
    if (missing.length > 0) {
      await finishRun(ctx, run, "FAILED", { errorMessage: `secret ${missing.join(", ")} was deleted after the launch` });
      return { failed: true };
    }
    try {
      const result = await providerFor(ce).provision(
        { runId: run.id, workspaceId: run.workspaceId },
        opened.map((s) => ({ name: s.name, value: s.value })),
      );
      headEnv = result.env;
      await markSecretsUsed(ctx.db, opened.map((s) => s.id), run.launchedBy);
      await workerAudit(ctx, run, "secrets.provisioned", {
        provider: providerFor(ce).kind,
        names: run.secretRefs.map((r) => `${r.name} (${r.source})`),
        copies: result.locations.length,
      });
    } catch (error) {
      if (error instanceof ProviderError && !error.retryable) {
        await finishRun(ctx, run, "FAILED", { errorMessage: `could not provision secrets: ${error.message}` });
        throw new UnrecoverableError(error.message);
      }
      throw error;
    }
  }
  await updateRunIf(ctx.db, run.id, { status: ["SUBMITTED"] }, {
    provisionedAt: new Date(),
    runDir,
    headEnv,
    ...(run.secretRefs.length > 0 ? { secretsState: "PROVISIONED" as const } : {}),
  });
  await enqueue(ctx.queues, "runs.launch", { runId });
  return { provisioned: run.secretRefs.length };
};
