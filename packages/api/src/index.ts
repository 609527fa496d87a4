export { appRouter, createCaller, type TAppRouter } from "./root";
export type { TContext, TIdentity, TMeta } from "./trpc";
export { AppError } from "./errors";
export { signUpState } from "./services/identity";
export { identityFromSession, identityFromToken, liveSessionUser } from "./services/authenticate";
