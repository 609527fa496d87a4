import type { TSandboxIdentity } from "./sandbox";

/**
 * Where the Nextflow head process runs. Every executor starts the same `head.sh` (written by
 * writeHeadScript), which records Nextflow's exit code in `<runDir>/exitcode` — so the outcome
 * survives a worker restart: a worker that comes back reads the file instead of waiting on a
 * child it no longer owns.
 */
export type THeadJob = {
  runId: string;
  runDir: string;
  script: string;
  /** Environment for the head process on top of the sandbox's base: paths and flags only, never a secret value. */
  env: Record<string, string>;
  /** Paths the head needs read-only inside its sandbox (the staged Nextflow, a Java home outside /usr). */
  readOnly: string[];
  /** The unprivileged uid/gid the head runs as (root workers); absent, it runs as the worker's uid inside the sandbox. */
  identity?: TSandboxIdentity;
};

export type THeadState = { state: "running" } | { state: "finished"; exitCode: number } | { state: "vanished"; detail: string };

export type TExecutor = {
  readonly kind: "local" | "slurm";
  start(job: THeadJob): Promise<{ ref: string }>;
  status(ref: string, runDir: string): Promise<THeadState>;
  cancel(ref: string, runDir: string): Promise<void>;
};
