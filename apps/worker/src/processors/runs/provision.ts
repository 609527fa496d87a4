import { mkdir } from "node:fs/promises";
import { UnrecoverableError } from "bullmq";
import { isTerminal, markSecretsUsed, updateRunIf } from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { ProviderError } from "@lockstep/secrets";
import { runDirOf, withTarget } from "../../runtime";
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
  let headEnv: Record<string, string> = {};
  let secretBindings: Array<{ name: string; location: string }> = [];
  try {
    await withTarget(ctx, ce, async (target) => {
      // Host targets share a filesystem with the worker; a cloud run's directory is a bucket prefix Nextflow creates.
      if (target.place === "host") await mkdir(runDir, { recursive: true, mode: 0o755 });
      if (run.secretRefs.length === 0) return;
      const { opened, missing } = await openRunSecrets(ctx, run);
      if (missing.length > 0) throw new ProviderError(`secret ${missing.join(", ")} was deleted after the launch`, false);
      const result = await target.provider.provision(
        { runId: run.id, workspaceId: run.workspaceId },
        opened.map((s) => ({ name: s.name, value: s.value })),
      );
      headEnv = result.env;
      secretBindings = result.bindings;
      await markSecretsUsed(ctx.db, opened.map((s) => s.id), run.launchedBy);
      await workerAudit(ctx, run, "secrets.provisioned", {
        provider: target.provider.kind,
        names: run.secretRefs.map((r) => `${r.name} (${r.source})`),
        copies: result.locations.length,
      });
    });
  } catch (error) {
    if (error instanceof ProviderError && !error.retryable) {
      await finishRun(ctx, run, "FAILED", { errorMessage: `could not provision secrets: ${error.message}` });
      throw new UnrecoverableError(error.message);
    }
    throw error;
  }
  await updateRunIf(ctx.db, run.id, { status: ["SUBMITTED"] }, {
    provisionedAt: new Date(),
    runDir,
    headEnv,
    secretBindings,
    ...(run.secretRefs.length > 0 ? { secretsState: "PROVISIONED" as const } : {}),
  });
  await enqueue(ctx.queues, "runs.launch", { runId });
  return { provisioned: run.secretRefs.length };
};
