import { runAuditEvents, type TDatabase, type TRun } from "@lockstep/db";
import { scrubPersonalNames } from "./personal-secrets";

/**
 * A run's deletion receipt: every copy of its secrets the provider wrote (location only, never a
 * value), when, and when and how it was verified gone. Built from what the worker recorded — the
 * run's `secretCopies` and cleanup target, and its `secrets.*` audit events — so it says nothing
 * the records do not back. Personal secret names are shown to the launcher only.
 */
export type TReceipt = {
  runId: string;
  pipelineName: string;
  computeEnvName: string;
  secretsState: TRun["secretsState"];
  provider: string | null;
  /** Where the provider kept the run's copies (store directory, or the name prefix). */
  store: string | null;
  secrets: Array<{ name: string; source: "workspace" | "user" }>;
  personalSecretCount: number;
  copies: Array<{ location: string; writtenAt: string; goneAt: string | null; verifiedBy: string | null }>;
  sidecars: string | null;
  deletion: { verified: boolean; at: string | null; method: string | null; attempts: number; lastError: string | null };
  redaction: { occurrences: number; files: number; scannedFiles: number; at: string } | null;
  generatedAt: string;
};

const METHOD =
  "list-after-delete: after deleting, the worker listed the store's managed copies (provider.listManaged) and found none of this run's";

export async function runReceipt(
  db: TDatabase,
  run: TRun,
  launcherName: string | null,
  viewerId: string,
): Promise<TReceipt> {
  const own = run.launchedBy !== null && run.launchedBy === viewerId;
  const hide = (text: string) => (own ? text : scrubPersonalNames(text, run.secretRefs, launcherName));
  const events = await runAuditEvents(db, run.id, ["secrets.provisioned", "secrets.deleted", "secrets.cleanup_failed"]);
  const deleted = events.findLast((e) => e.action === "secrets.deleted");
  const verified = deleted?.detail.verified === true;
  const target = run.cleanupTarget;
  const provider =
    typeof deleted?.detail.provider === "string" && deleted.detail.provider
      ? deleted.detail.provider
      : (target?.provider ?? null);
  const store = !target
    ? null
    : target.provider === "nextflow-file"
      ? target.secretsDir
      : target.provider === "ssh-file"
        ? `sftp://${target.host}:${target.port}${target.secretsDir}`
        : `${target.prefix}${run.id}`;
  const goneAt = verified ? deleted!.at.toISOString() : null;
  return {
    runId: run.id,
    pipelineName: run.pipelineName,
    computeEnvName: run.computeEnvName,
    secretsState: run.secretsState,
    provider,
    store,
    secrets: run.secretRefs
      .filter((r) => own || r.source === "workspace")
      .map((r) => ({ name: r.name, source: r.source })),
    personalSecretCount: run.secretRefs.filter((r) => r.source === "user").length,
    copies: run.secretCopies.map((c) => ({
      location: hide(c.location),
      writtenAt: c.writtenAt,
      goneAt,
      verifiedBy: verified ? "list-after-delete" : null,
    })),
    sidecars:
      target?.provider === "nextflow-file" || target?.provider === "ssh-file"
        ? `every .nf-*.secrets file Nextflow wrote beside store.json in ${target.secretsDir}${target.provider === "ssh-file" ? " on the cluster" : ""}, removed with that directory${verified ? " (verified by the same listing)" : ""}; their number is not recorded`
        : null,
    deletion: {
      verified,
      at: goneAt,
      method: verified ? METHOD : null,
      attempts: typeof deleted?.detail.attempts === "number" ? deleted.detail.attempts : run.cleanupAttempts,
      lastError: run.lastCleanupError === null ? null : hide(run.lastCleanupError),
    },
    redaction: run.redaction,
    generatedAt: new Date().toISOString(),
  };
}
