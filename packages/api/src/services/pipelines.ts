import { isRemotePipeline, resolveLocalPipeline } from "@lockstep/launcher/local-pipeline";
import { scanPipelineDir } from "@lockstep/launcher/pipeline-secrets";
import type { TNextflowSecretsRow } from "@lockstep/db";
import { enqueue, type TQueues } from "@lockstep/queue";
import type { TPipelineSecretNeeds } from "@lockstep/validators";
import { AppError } from "../errors";

/**
 * A pipeline's repository is an https:// URL, or a local path that resolves to a directory holding
 * main.nf under LOCKSTEP_LOCAL_PIPELINE_ROOTS. Checked when a pipeline is saved and again at launch
 * (the directory may have changed since); the message names `field` so the form shows it there.
 */
export async function assertPipelineSource(
  repository: string,
  roots: readonly string[],
  field: string,
  leadIn = "",
): Promise<void> {
  if (isRemotePipeline(repository)) return;
  const resolved = await resolveLocalPipeline(repository, roots);
  if (!resolved.ok) throw new AppError("INVALID", `${field}: ${leadIn}${resolved.message}`);
}

/**
 * Which secrets the pipeline's sources ask for. Local pipelines are read here (names and paths
 * only leave the scanner); an https:// repository is fetched only by Nextflow when a run starts,
 * so its needs are unknown until then.
 */
export async function scanSecretNeeds(repository: string, roots: readonly string[]): Promise<TPipelineSecretNeeds> {
  const scannedAt = new Date().toISOString();
  if (isRemotePipeline(repository)) {
    return {
      status: "unknown",
      reason: "the repository is fetched only when a run starts, so Lockstep cannot read it beforehand",
      scannedAt,
    };
  }
  const resolved = await resolveLocalPipeline(repository, roots);
  if (!resolved.ok) return { status: "unknown", reason: "the pipeline's directory cannot be read", scannedAt };
  return scanPipelineDir(resolved.dir);
}

/**
 * The scanner's needs with what the pinned Nextflow said of the same sources (`nextflow config`,
 * run by the worker): a name Nextflow found in config that the scanner missed is needed too. Where
 * Nextflow has not answered for these sources, or could not run, the scanner's answer stands.
 */
export function withNextflow(needs: TPipelineSecretNeeds, nf: TNextflowSecretsRow | null): TPipelineSecretNeeds {
  if (needs.status !== "known" || !nf?.ok || nf.fingerprint !== needs.fingerprint) return needs;
  const known = new Set(needs.needs.map((n) => n.name));
  const added = [...new Set([...nf.names, ...nf.directives])].filter((n) => !known.has(n));
  if (added.length === 0) return needs;
  return {
    ...needs,
    needs: [
      ...needs.needs,
      ...added.map((name) => ({
        name,
        uses: ["config" as const],
        files: [`nextflow config (Nextflow ${nf.version})`],
      })),
    ].sort((a, b) => a.name.localeCompare(b.name)),
  };
}

/** For the pipelines page: whether Nextflow checked these sources, and what it confirmed or added. */
export function nextflowCheckOf(needs: TPipelineSecretNeeds | null, nf: TNextflowSecretsRow | null) {
  if (!needs || needs.status !== "known") return null;
  if (!nf || nf.fingerprint !== needs.fingerprint)
    return { state: "pending" as const, version: null, checkedAt: null, names: [], reason: null };
  if (!nf.ok)
    return { state: "failed" as const, version: nf.version, checkedAt: nf.checkedAt, names: [], reason: nf.reason };
  return {
    state: "checked" as const,
    version: nf.version,
    checkedAt: nf.checkedAt,
    names: [...new Set([...nf.names, ...nf.directives])].sort(),
    reason: null,
  };
}

/** Asks the worker to check these sources with Nextflow, unless it already has (the job id dedupes too). */
export async function requestNextflowCheck(
  queues: TQueues,
  pipelineId: string,
  needs: TPipelineSecretNeeds,
  nf: TNextflowSecretsRow | null,
) {
  if (needs.status !== "known" || nf?.fingerprint === needs.fingerprint) return;
  await enqueue(queues, "pipelines.inspect", { pipelineId, fingerprint: needs.fingerprint }).catch(() => undefined);
}
