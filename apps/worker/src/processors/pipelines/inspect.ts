import { chmodSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipelineForInspection, recordPipelineNextflowSecrets } from "@lockstep/db";
import {
  NEXTFLOW_VERSION,
  nextflowConfigSecrets,
  resolveLocalPipeline,
  stageNextflow,
  type TNextflowConfigSecrets,
} from "@lockstep/launcher";
import { isolationOf } from "../../runtime";
import type { THandler } from "../types";

/**
 * What the pinned Nextflow says of a local pipeline's config: `nextflow config` evaluates the
 * config files (Groovy: the pipeline author's code), so it runs here, in the worker's sandbox, as
 * an unprivileged uid when the worker is root, offline, with an empty HOME. The answer (names
 * only) is stored for the source fingerprint it was asked for; the API adds any name Nextflow
 * found that the source scanner did not, and the scanner stays the answer where Nextflow cannot
 * tell (scripts, secrets only tested in config) or could not run.
 */
/**
 * A root worker's Nextflow cache may sit where no run uid can read (root's home is 0700): as for
 * heads, a verified copy is staged once per process in a private directory the check's uid can enter.
 */
let stagingDir: string | null = null;
function readableNextflow(libDir: string): string {
  if (!stagingDir) {
    stagingDir = mkdtempSync(join(tmpdir(), "lockstep-inspect-"));
    chmodSync(stagingDir, 0o711);
  }
  return stageNextflow(libDir, stagingDir, NEXTFLOW_VERSION);
}

export const inspect: THandler<"pipelines.inspect"> = async ({ pipelineId, fingerprint }, _job, ctx) => {
  const p = await pipelineForInspection(ctx.db, pipelineId);
  if (!p) return { skipped: "deleted" };
  if (p.secretNeeds?.status !== "known" || p.secretNeeds.fingerprint !== fingerprint)
    return { skipped: "the sources changed" };
  if (p.nextflowSecrets?.fingerprint === fingerprint) return { skipped: "already checked" };
  const isolation = isolationOf(ctx.runtime);
  const resolved = await resolveLocalPipeline(p.repository, ctx.runtime.localPipelineRoots ?? []);
  let result: TNextflowConfigSecrets;
  if (!resolved.ok) result = { ok: false, reason: resolved.message };
  else if (isolation.problem && !isolation.unsafeUnsandboxed)
    result = { ok: false, reason: `no sandbox on this worker: ${isolation.problem}` };
  else {
    const libDir = await ctx.runtime.nextflowLib(NEXTFLOW_VERSION);
    result = await nextflowConfigSecrets({
      libDir: isolation.root ? readableNextflow(libDir) : libDir,
      pipelineDir: resolved.dir,
      java: ctx.runtime.java,
      ...(isolation.unsafeUnsandboxed ? {} : { sandbox: isolation.sandbox }),
      ...(isolation.root
        ? { identity: { uid: isolation.runUidBase + 65_535, gid: isolation.runUidBase + 65_535 } }
        : {}),
    });
  }
  // Only onto the sources it was asked for: a save meanwhile asks again.
  await recordPipelineNextflowSecrets(ctx.db, pipelineId, fingerprint, {
    fingerprint,
    version: NEXTFLOW_VERSION,
    checkedAt: new Date().toISOString(),
    ...result,
  });
  return result.ok ? { names: result.names.length + result.directives.length } : { failed: true };
};
