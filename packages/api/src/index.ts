export { appRouter, createCaller, type TAppRouter } from "./root";
export type { TContext } from "./trpc";
export { AppError } from "./errors";
