export * from "./dotenv";
export * from "./identity";
export * from "./secrets";
