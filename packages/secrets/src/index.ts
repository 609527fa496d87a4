export * from "./provider";
export { renderSecretsStore } from "./providers/nextflow-file/store-format";
