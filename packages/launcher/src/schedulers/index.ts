import { slurmScheduler } from "./slurm";
import type { TScheduler, TSchedulerKind } from "./types";

export * from "./types";
export { SchedulerOutputError } from "./common";
export { slurmScheduler, SLURM_JOB_ID, SLURM_UNKNOWN_JOB, parseSinfoPartitions, sinfoPartitions } from "./slurm";

/** The scheduler of a compute environment's kind: an exhaustive switch, so a new kind does not compile without one. */
export function schedulerFor(kind: TSchedulerKind): TScheduler {
  switch (kind) {
    case "slurm":
      return slurmScheduler;
    case "lsf":
    case "pbspro":
    case "sge":
      throw new Error(`the ${kind} scheduler is not built yet`);
  }
}
