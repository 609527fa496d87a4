export * from "./users";
export * from "./tenancy";
export * from "./secrets";
export * from "./system";
