import { isRemotePipeline, resolveLocalPipeline } from "@lockstep/launcher/local-pipeline";
import { scanPipelineDir } from "@lockstep/launcher/pipeline-secrets";
import type { TPipelineSecretNeeds } from "@lockstep/validators";
import { AppError } from "../errors";

/**
 * A pipeline's repository is an https:// URL, or a local path that resolves to a directory holding
 * main.nf under LOCKSTEP_LOCAL_PIPELINE_ROOTS. Checked when a pipeline is saved and again at launch
 * (the directory may have changed since); the message names `field` so the form shows it there.
 */
export async function assertPipelineSource(repository: string, roots: readonly string[], field: string, leadIn = ""): Promise<void> {
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
    return { status: "unknown", reason: "the repository is fetched only when a run starts, so Lockstep cannot read it beforehand", scannedAt };
  }
  const resolved = await resolveLocalPipeline(repository, roots);
  if (!resolved.ok) return { status: "unknown", reason: "the pipeline's directory cannot be read", scannedAt };
  return scanPipelineDir(resolved.dir);
}
