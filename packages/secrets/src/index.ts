export * from "./provider";
export { renderSecretsStore } from "./providers/nextflow-file/store-format";
export { nextflowFileProvider, type TNextflowFileConfig } from "./providers/nextflow-file/provider";
