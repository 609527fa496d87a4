import { isRemotePipeline, resolveLocalPipeline } from "@lockstep/launcher/local-pipeline";
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
