import "./messages";
export * from "./dotenv";
export * from "./identity";
export * from "./runs";
export * from "./secrets";
export * from "./head-env";
export * from "./secret-needs";
export * from "./audit";
export { personMessage } from "./messages";
