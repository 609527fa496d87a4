import { createCallerFactory, router } from "./trpc";
import { systemRouter } from "./router/system";

export const appRouter = router({
  system: systemRouter,
});

export type TAppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
