import { join } from "node:path";
import { chromium, expect, request as requests, type FullConfig } from "@playwright/test";
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
    await claimThroughTheForm(config, baseURL);
    await signInRequest(request, e2eAdmin);
    const me = await trpcQuery<{ isInstanceAdmin: boolean }>(request, "me.get");
    if (!me.isInstanceAdmin)
      throw new Error("the first account is not the instance admin: the e2e app must start on a fresh data directory");
  } finally {
    await request.dispose();
  }
  await setSignupPolicy(baseURL, "open");
  await setHostComputeEnvs(baseURL, "workspace-maintainers");
}

/** The setup form, as the person who ran `npm start` fills it: a wrong code first, then the printed one. */
async function claimThroughTheForm(config: FullConfig, baseURL: string) {
  const browser = await chromium.launch(config.projects[0]?.use.launchOptions);
  const outputDir = join(config.projects[0]?.outputDir ?? "test-results", "global-setup");
  try {
    const page = await browser.newPage({ baseURL });
    await page.goto("/sign-in");
    await page.getByRole("link", { name: "Set up this instance" }).click();
    await expect(page.getByRole("heading", { name: "Set up this Lockstep instance" })).toBeVisible();
    await page.getByLabel("Setup code").fill("AAAAA-AAAAA-AAAAA-AAAAA");
    await page.getByLabel("Name", { exact: true }).fill(e2eAdmin.name);
    await page.getByLabel("Email", { exact: true }).fill(e2eAdmin.email);
    await page.getByLabel("Password", { exact: true }).fill(e2eAdmin.password);
    await page.getByRole("button", { name: "Create the admin account" }).click();
    await expect(
      page.getByText(/^This instance has no administrator yet\. The first account needs the one-time setup code/),
    ).toBeVisible();
    await page.screenshot({ path: join(outputDir, "setup-wrong-code.png"), fullPage: true });
    await page.getByLabel("Setup code").fill(setupCode);
    await page.getByRole("button", { name: "Create the admin account" }).click();
    await expect(page).toHaveURL(/\/dashboard$/);
  } finally {
    await browser.close();
  }
}
