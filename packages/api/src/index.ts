export { appRouter, createCaller, type TAppRouter } from "./root";
export type { TContext, TIdentity, TMeta } from "./trpc";
export { AppError } from "./errors";
export { signUpState } from "./services/identity";
export { handleRest, restError, type TRestError, type TRestOptions } from "./rest/handler";
export { openApiDocument } from "./rest/openapi";
export { restRoutes } from "./rest/routes";
export { bearerTokenOf, identityFromAccessToken } from "./rest/bearer";
