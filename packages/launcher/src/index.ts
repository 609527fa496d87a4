export * from "./command";
export * from "./params";
export * from "./executor";
export * from "./head-script";
export * from "./trace";
export * from "./safe-file";
export * from "./log-tail";
export * from "./run-files";
export { localExecutor } from "./executors/local/executor";
export { slurmExecutor, type TSlurmConfig } from "./executors/slurm/executor";
export type { THostOptions } from "./executors/host/host";
export * from "./nextflow-dist";
export { awsBatchExecutor, type TAwsBatchConfig } from "./executors/aws-batch/executor";
export { googleBatchExecutor, type TGoogleBatchConfig } from "./executors/google-batch/executor";
export * from "./cloud-head";
export * from "./nf-lockstep";
export * from "./sandbox";
export * from "./local-pipeline";
export { nextflowConfigSecrets, secretsInFlatConfig, type TNextflowConfigSecrets } from "./nextflow-config-secrets";
export { sshClusterExecutor, SSH_KINDS, type TSshClusterConfig, type TRemoteNextflow } from "./executors/ssh/executor";
export {
  connectSsh,
  probeHostKey,
  hostKeyFingerprint,
  remoteFiles,
  withRemoteFiles,
  sshPool,
  SshPool,
  HostKeyMismatchError,
  FINGERPRINT,
  DEFAULT_SSH_TIMEOUTS,
  type TSshEndpoint,
  type TSshSession,
  type TSshTimeouts,
  type TRemoteFiles,
} from "./executors/ssh/connection";
export { schedulerFor, slurmScheduler } from "./schedulers";
export type * from "./schedulers/types";
