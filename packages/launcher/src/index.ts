export * from "./command";
export * from "./executor";
export * from "./head-script";
export * from "./trace";
export { localExecutor } from "./executors/local/executor";
export { slurmExecutor, type TSlurmConfig } from "./executors/slurm/executor";
export * from "./nextflow-dist";
export * from "./executors/aws-batch/executor";
