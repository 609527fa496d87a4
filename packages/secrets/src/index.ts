export * from "./provider";
export { renderSecretsStore } from "./providers/nextflow-file/store-format";
export { nextflowFileProvider, type TNextflowFileConfig } from "./providers/nextflow-file/provider";
export {
  awsSecretsManagerProvider,
  type TAwsCredentials,
  type TAwsSecretsManagerConfig,
} from "./providers/aws-secrets-manager/provider";
export {
  googleSecretManagerProvider,
  type TGoogleSecretManagerConfig,
} from "./providers/google-secret-manager/provider";
export {
  sshFileProvider,
  type TSshFileConfig,
  type TRemoteStoreFiles,
  type TRemoteStat,
} from "./providers/ssh-file/provider";
