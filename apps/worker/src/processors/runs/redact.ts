import { updateRunIf, type TRun } from "@lockstep/db";
import { redactRunFiles } from "@lockstep/launcher";
import { createRedactor, MIN_REDACTED_CHARS } from "@lockstep/redact";
import type { TProcessorContext } from "../types";
import { openRunSecrets, workerAudit } from "./common";

/**
 * Once a run has ended, overwrites every value delivered to it (plain and encoded, see
 * @lockstep/redact) in the log files of its host run directory, and records the counts on the run
 * (`runs.redaction`) and in the audit log (`run.redacted`) — counts only, never a value or a line.
 * Values come from the sealed rows in Postgres, so this works whatever happened to the store.
 *
 * Never throws: a failure is logged and audited (`run.redaction_failed`) and the caller goes on to
 * delete the secrets, which matters more. Done once per run; a retried cleanup does not redo it.
 */
export async function redactRunLogs(ctx: TProcessorContext, run: TRun): Promise<void> {
  // Cloud runs keep their files in the cloud work directory, which the worker does not rewrite.
  if (run.redaction || !run.runDir || run.runDir.includes("://") || run.secretRefs.length === 0) return;
  // SSH clusters: the run directory is on the cluster, the account's own; its console reached the database redacted (collect), the files there are not rewritten (docs/hpc.md).
  if (run.cleanupTarget?.provider === "ssh-file") return;
  try {
    const { opened } = await openRunSecrets(ctx, run, { checkValues: false });
    const redactor = createRedactor(opened.map((s) => s.value));
    const found = await redactRunFiles(run.runDir, redactor);
    const redaction = {
      occurrences: found.occurrences,
      files: found.files,
      scannedFiles: found.scannedFiles,
      at: new Date().toISOString(),
    };
    await updateRunIf(ctx.db, run.id, {}, { redaction });
    await workerAudit(ctx, run, "run.redacted", {
      occurrences: found.occurrences,
      files: found.files,
      scannedFiles: found.scannedFiles,
      refusedFiles: found.refused,
      complete: !found.incomplete,
      valuesTooShort: redactor.tooShort,
      minimumLength: MIN_REDACTED_CHARS,
    });
    if (found.refused > 0 || found.incomplete) {
      ctx.logger.warn(
        { runId: run.id, refused: found.refused, incomplete: found.incomplete },
        "some log files of the run were not redacted",
      );
    }
  } catch (error) {
    const kind = error instanceof Error ? error.name : "unknown";
    const code = (error as { code?: unknown } | null)?.code;
    ctx.logger.error(
      { runId: run.id, err: kind, code: typeof code === "string" ? code : undefined },
      "could not redact the run's log files; deleting its secrets all the same",
    );
    await workerAudit(ctx, run, "run.redaction_failed", {
      error: typeof code === "string" ? `${kind} ${code}` : kind,
    }).catch(() => undefined);
  }
}
