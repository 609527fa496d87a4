import { createCallerFactory, router } from "./trpc";
import { authRouter } from "./router/auth";
import { meRouter } from "./router/me";
import { orgsRouter } from "./router/orgs";
import { systemRouter } from "./router/system";
import { workspacesRouter } from "./router/workspaces";

export const appRouter = router({
  auth: authRouter,
  me: meRouter,
  orgs: orgsRouter,
  workspaces: workspacesRouter,
  system: systemRouter,
});

export type TAppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
