export * from "./identity";
export * from "./secrets";
