import { lsfScheduler } from "./lsf";
import { pbsproScheduler } from "./pbspro";
import { sgeScheduler } from "./sge";
import { slurmScheduler } from "./slurm";
import type { TScheduler, TSchedulerKind } from "./types";

export * from "./types";
export { SchedulerOutputError } from "./common";
export {
  slurmScheduler,
  SLURM_JOB_ID,
  SLURM_UNKNOWN_JOB,
  parseSinfoPartitions,
  sinfoPartitions,
  slurmFindByName,
} from "./slurm";
export { lsfScheduler, LSF_JOB_ID } from "./lsf";
export { pbsproScheduler, PBS_JOB_ID } from "./pbspro";
export { sgeScheduler, SGE_JOB_ID } from "./sge";

const SCHEDULERS: { [K in TSchedulerKind]: TScheduler } = {
  slurm: slurmScheduler,
  lsf: lsfScheduler,
  pbspro: pbsproScheduler,
  sge: sgeScheduler,
};

/** The scheduler of a compute environment's kind (a mapped type: a new kind does not compile without one). */
export function schedulerFor(kind: TSchedulerKind): TScheduler {
  return SCHEDULERS[kind];
}
