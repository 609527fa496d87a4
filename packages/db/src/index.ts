export * from "./client";
export * from "./health";
export * as schema from "./schema";
export * from "./queries/system";
