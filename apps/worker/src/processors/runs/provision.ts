import { UnrecoverableError } from "bullmq";
import {
  findUserById,
  isTerminal,
  markSecretsUsed,
  runSecretsAuditDetail,
  updateRunIf,
  type TRunSecretVersion,
} from "@lockstep/db";
import { enqueue } from "@lockstep/queue";
import { ProviderError } from "@lockstep/secrets";
import { providerForStore, runDirOf, storeOf, withTarget } from "../../runtime";
import type { THandler } from "../types";
import { finishRun, isPermanent, loadComputeEnv, loadRun, openRunSecrets, stopOutcome, workerAudit } from "./common";

/**
 * Pushes exactly the run's secrets into its compute environment's store (idempotent). Before any
 * copy is written, everything its cleanup needs is recorded on the run (`cleanupTarget`): cleanup
 * and the sweeper use that record, never the compute environment's settings of the moment.
 */
export const provision: THandler<"runs.provision"> = async ({ runId }, _job, ctx) => {
  const run = await loadRun(ctx, runId);
  if (isTerminal(run.status)) return { skipped: run.status };
  if (run.cancelRequested) {
    const { status, errorMessage } = stopOutcome(run, "cancelled before it started");
    await finishRun(ctx, run, status, { errorMessage });
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
  let headEnv: Record<string, string> = {};
  let secretBindings: Array<{ name: string; location: string }> = [];
  let secretCopies: Array<{ location: string; writtenAt: string }> = [];
  let secretVersions: TRunSecretVersion[] = [];
  let runDir: string;
  try {
    // A retry keeps the store recorded first (the settings may have changed in between).
    const recorded = run.cleanupTarget;
    runDir =
      recorded?.provider === "nextflow-file" || recorded?.provider === "ssh-file" ? recorded.runDir : runDirOf(ce, run);
    // The executor makes what the run needs first (a host run's directory, for the run's own
    // identity, which the secrets store must belong to as well).
    const { owner } = await withTarget(ctx, ce, ({ executor }) => executor.prepare({ runId: run.id, runDir }));
    const store = recorded ?? storeOf(ce, run, owner);
    if (!recorded) await updateRunIf(ctx.db, run.id, {}, { cleanupTarget: store, runDir });
    if (run.secretRefs.length > 0) {
      const { opened, missing } = await openRunSecrets(ctx, run);
      // The run's error is read by every participant: a personal secret is named to nobody but its owner.
      if (missing.length > 0) throw new ProviderError(`${missingSecrets(missing)} deleted after the launch`, false);
      const { provider, close } = await providerForStore(ctx, run.workspaceId, store, owner);
      try {
        const result = await provider.provision(
          { runId: run.id, workspaceId: run.workspaceId },
          opened.map((s) => ({ name: s.name, value: s.value })),
        );
        headEnv = result.env;
        secretBindings = result.bindings;
        const writtenAt = new Date().toISOString();
        secretCopies = result.locations.map((location) => ({ location, writtenAt }));
        // The version each value was read at (the same row read as the value) and its keyed fingerprint.
        secretVersions = opened.map((s) => ({
          secretId: s.id,
          name: s.name,
          source: s.source,
          version: s.version,
          fingerprint: ctx.keys.fingerprint.of(s.value),
        }));
        await markSecretsUsed(
          ctx.db,
          opened.map((s) => s.id),
          run.launchedBy,
          run.id,
        );
        const launcher = run.launchedBy ? await findUserById(ctx.db, run.launchedBy) : null;
        await workerAudit(ctx, run, "secrets.provisioned", {
          provider: provider.kind,
          // Workspace admins read this: personal secrets by count only.
          ...runSecretsAuditDetail(run.secretRefs, launcher?.name ?? null),
          copies: result.locations.length,
          // Which version of each workspace secret went out (personal ones stay a count, as above).
          versions: secretVersions.filter((v) => v.source === "workspace").map((v) => `${v.name} v${v.version}`),
        });
      } finally {
        await close().catch(() => {});
      }
    }
  } catch (error) {
    if (isPermanent(error)) {
      const message = error instanceof Error ? error.message : "unknown error";
      await finishRun(ctx, run, "FAILED", { errorMessage: `could not provision secrets: ${message}` });
      throw new UnrecoverableError(message);
    }
    throw error;
  }
  const provisionedAt = new Date();
  const updated = await updateRunIf(
    ctx.db,
    run.id,
    { status: ["SUBMITTED"] },
    {
      provisionedAt,
      runDir,
      headEnv,
      secretBindings,
      secretCopies,
      secretVersions,
      ...(run.secretRefs.length > 0 ? { secretsState: "PROVISIONED" as const } : {}),
    },
  );
  if (updated) ctx.metrics?.provisioned(run, provisionedAt);
  await enqueue(ctx.queues, "runs.launch", { runId });
  return { provisioned: run.secretRefs.length };
};

/** "secret DB_PASSWORD was", "secrets DB_PASSWORD and a personal secret of the launcher were". */
function missingSecrets(missing: Array<{ name: string; source: "workspace" | "user" }>): string {
  const personal = missing.filter((r) => r.source === "user").length;
  const parts = [
    ...missing.filter((r) => r.source === "workspace").map((r) => r.name),
    ...(personal === 0
      ? []
      : [personal === 1 ? "a personal secret of the launcher" : `${personal} personal secrets of the launcher`]),
  ];
  const many = missing.length > 1;
  return `${many ? "secrets" : "secret"} ${parts.join(", ")} ${many ? "were" : "was"}`;
}
