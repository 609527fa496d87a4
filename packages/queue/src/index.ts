export * from "./catalog";
export * from "./connection";
export * from "./enqueue";
export { queueEnv } from "./env";
