export * from "./secrets";
