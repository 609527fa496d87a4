import { expect, request as requests, type FullConfig } from "@playwright/test";
import { setupCode } from "./playwright.config";
import { e2eAdmin, setHostComputeEnvs, setSignupPolicy, signInRequest, trpcQuery } from "./tests/support/admin";

/**
 * Runs once the app is up (Playwright starts the web server first). The first account of an
 * instance claims instance admin with the one-time setup code, so it is signed up here, before any
 * spec signs anyone up — after checking that without the code the instance refuses it. Then
 * sign-up is opened (the specs sign up their own users; accounts.spec proves the default, invite,
 * and restores this) and local and host-Slurm compute environments are handed to workspace
 * maintainers, as the specs that set up their own workspaces expect (instance-settings.spec
 * proves the default refusal and restores this).
 */
export default async function globalSetup(config: FullConfig) {
  const baseURL = config.projects[0]?.use.baseURL;
  if (!baseURL) throw new Error("playwright.config.ts sets no baseURL");
  const request = await requests.newContext({ baseURL });
  try {
    const admin = { email: e2eAdmin.email, name: e2eAdmin.name, password: e2eAdmin.password };
    const refused = await request.post("/api/trpc/auth.signUp", { data: { json: admin } });
    expect(refused.status(), "sign-up without the setup code on an instance without an admin").toBe(403);
    expect(JSON.stringify(await refused.json())).toContain("setup code");
    const signUp = await request.post("/api/trpc/auth.signUp", { data: { json: { ...admin, setupCode } } });
    if (!signUp.ok()) throw new Error(`signing up the first (admin) account with the setup code failed with HTTP ${signUp.status()}`);
    await signInRequest(request, e2eAdmin);
    const me = await trpcQuery<{ isInstanceAdmin: boolean }>(request, "me.get");
    if (!me.isInstanceAdmin) throw new Error("the first account is not the instance admin: the e2e app must start on a fresh data directory");
  } finally {
    await request.dispose();
  }
  await setSignupPolicy(baseURL, "open");
  await setHostComputeEnvs(baseURL, "workspace-maintainers");
}
