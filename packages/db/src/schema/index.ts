export * from "./users";
export * from "./tenancy";
export * from "./secrets";
export * from "./runs";
export * from "./system";
export * from "./instance";
export * from "./webhooks";
