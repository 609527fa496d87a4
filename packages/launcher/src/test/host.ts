import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import type { TRunLaunch } from "../executor";
import type { THostOptions } from "../executors/host/host";
import { installNextflow, NEXTFLOW_VERSION } from "../nextflow-dist";
import { probeSandbox } from "../sandbox";

/**
 * A host as the worker sets one up, for the local and Slurm executor suites: a runs directory run
 * identities may enter (0711), an allowed pipeline root holding the contract's pipeline, the
 * pinned Nextflow, and the sandbox probed exactly as the worker probes it at boot.
 */
export type THostFixture = {
  base: string;
  runsDir: string;
  pipelines: string;
  host: THostOptions;
  launch(run: { runId: string; runDir: string }, params?: Record<string, string | number>): TRunLaunch;
  /** Nextflow launches written to the run's console (one per head that ran). */
  launchesIn(runDir: string): number;
  cleanup(): void;
};

const PIPELINE = `#!/usr/bin/env nextflow
// The executor contract's pipeline: one task whose output reaches the console, sleeping as long as asked.
params.seconds = 0

process GREETS {
    debug true

    script:
    """
    echo contract-greeting from the task
    sleep \${params.seconds}
    """
}

workflow {
    GREETS()
}
`;

export async function hostFixture(label: string, extra: Partial<THostOptions> = {}): Promise<THostFixture> {
  const base = realpathSync(mkdtempSync(join(tmpdir(), `lockstep-exec-${label}-`)));
  chmodSync(base, 0o711);
  const runsDir = join(base, "runs");
  mkdirSync(runsDir, { mode: 0o711 });
  chmodSync(runsDir, 0o711);
  const pipelines = join(base, "pipelines");
  mkdirSync(join(pipelines, "contract"), { recursive: true, mode: 0o755 });
  chmodSync(pipelines, 0o755);
  chmodSync(join(pipelines, "contract"), 0o755);
  writeFileSync(join(pipelines, "contract", "main.nf"), PIPELINE, { mode: 0o644 });
  const libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);

  const root = process.getuid?.() === 0;
  const runUidBase = 1_900_000_000;
  // Offsets as the database hands them out: one per run, the same for every call.
  const offsets = new Map<string, number>();
  let next = 30_000 + Math.floor(Math.random() * 30_000);
  const sandbox = { bwrap: "bwrap", readOnly: [] };
  const host: THostOptions = {
    sandbox,
    sandboxProblem: await probeSandbox(
      sandbox,
      root ? { uid: runUidBase + 65_535, gid: runUidBase + 65_535 } : undefined,
    ),
    hidden: [join(base, "keys")],
    root,
    runUidBase,
    allocateUid: async (runId) => {
      if (!offsets.has(runId)) offsets.set(runId, next++);
      return offsets.get(runId)!;
    },
    slurmRunUser: "lockstep-run",
    nextflowLib: async () => libDir,
    java: "java",
    localPipelineRoots: [pipelines],
    baseEnv: { PATH: process.env.PATH ?? "/usr/bin:/bin" },
    unsafeUnsandboxed: false,
    ...extra,
  };
  return {
    base,
    runsDir,
    pipelines,
    host,
    launch: (run, params = {}) => ({
      runId: run.runId,
      runDir: run.runDir,
      pipeline: join(pipelines, "contract"),
      params,
      runName: `lockstep-${run.runId.slice(0, 8)}`,
      nextflowVersion: NEXTFLOW_VERSION,
      env: {},
      secretsEnv: {},
      secretBindings: [],
    }),
    launchesIn(runDir) {
      const consoleLog = join(runDir, "console.log");
      if (!existsSync(consoleLog)) return 0;
      return readFileSync(consoleLog, "utf8")
        .split("\n")
        .filter((line) => line.startsWith("Launching `")).length;
    },
    cleanup() {
      rmSync(base, { recursive: true, force: true });
    },
  };
}

/** Slurm output files of the run's head jobs (sbatch writes one per job submitted). */
export function slurmOutputsIn(runDir: string): number {
  return existsSync(runDir) ? readdirSync(runDir).filter((f) => /^slurm-\d+\.out$/.test(f)).length : 0;
}
