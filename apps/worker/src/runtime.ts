import { join } from "node:path";
import type { TComputeEnv, TRun } from "@lockstep/db";
import { localExecutor, slurmExecutor, type TExecutor, type TSlurmConfig } from "@lockstep/launcher";
import { nextflowFileProvider, type TSecretsProvider } from "@lockstep/secrets";

/** How the worker reaches Nextflow and the machines runs execute on. */
export type TRuntime = {
  /** argv that starts a given Nextflow release (e.g. java -cp … nextflow.cli.Launcher). */
  nextflowCommand(version: string): Promise<string[]>;
  /** Environment every head process starts from (PATH, HOME, JAVA_HOME …). */
  baseEnv: Record<string, string>;
  /** Seconds between two looks at a running run. */
  monitorIntervalMs: number;
};

export function runDirOf(ce: Pick<TComputeEnv, "workDir">, run: Pick<TRun, "id">): string {
  return join(ce.workDir, run.id);
}

/** The provider that holds a run's secrets on this kind of compute environment. */
export function providerFor(ce: Pick<TComputeEnv, "kind" | "workDir">): TSecretsProvider {
  switch (ce.kind) {
    case "local":
    case "slurm":
      return nextflowFileProvider({ runsDir: ce.workDir });
    case "aws-batch":
    case "google-batch":
      throw new Error(`${ce.kind} compute environments are not supported by this worker yet`);
  }
}

export function executorFor(ce: Pick<TComputeEnv, "kind" | "config">, runtime: TRuntime): TExecutor {
  switch (ce.kind) {
    case "local":
      return localExecutor({ baseEnv: runtime.baseEnv });
    case "slurm":
      return slurmExecutor(ce.config as TSlurmConfig, { baseEnv: runtime.baseEnv });
    case "aws-batch":
    case "google-batch":
      throw new Error(`${ce.kind} compute environments are not supported by this worker yet`);
  }
}
