import { createCallerFactory, router } from "./trpc";
import { auditRouter } from "./router/audit";
import { authRouter } from "./router/auth";
import { computeEnvsRouter } from "./router/compute-envs";
import { credentialsRouter } from "./router/credentials";
import { instanceRouter } from "./router/instance";
import { invitationsRouter } from "./router/invitations";
import { meRouter } from "./router/me";
import { orgsRouter } from "./router/orgs";
import { pipelinesRouter } from "./router/pipelines";
import { runsRouter } from "./router/runs";
import { secretsRouter } from "./router/secrets";
import { systemRouter } from "./router/system";
import { userSecretsRouter } from "./router/user-secrets";
import { webhooksRouter } from "./router/webhooks";
import { workspacesRouter } from "./router/workspaces";

export const appRouter = router({
  auth: authRouter,
  me: meRouter,
  orgs: orgsRouter,
  workspaces: workspacesRouter,
  invitations: invitationsRouter,
  secrets: secretsRouter,
  userSecrets: userSecretsRouter,
  audit: auditRouter,
  computeEnvs: computeEnvsRouter,
  credentials: credentialsRouter,
  pipelines: pipelinesRouter,
  runs: runsRouter,
  system: systemRouter,
  instance: instanceRouter,
  webhooks: webhooksRouter,
});

export type TAppRouter = typeof appRouter;
export const createCaller = createCallerFactory(appRouter);
