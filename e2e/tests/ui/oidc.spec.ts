import type { Server } from "node:http";
import { expect, test } from "@playwright/test";
import Provider from "oidc-provider";
import { oidc, ports } from "../../playwright.config";

/**
 * Sign-in through a real, certified OpenID Connect provider (the `oidc-provider` package) on
 * loopback: discovery, authorization code + PKCE, token exchange and ID token validation all run
 * for real between next-auth and the provider.
 */
let server: Server;
const email = `oidc-${Date.now()}@example.test`;

test.beforeAll(async () => {
  const provider = new Provider(oidc.issuer, {
    clients: [
      {
        client_id: oidc.clientId,
        client_secret: oidc.clientSecret,
        redirect_uris: [`http://localhost:${ports.web}/api/auth/callback/oidc`],
        grant_types: ["authorization_code"],
        response_types: ["code"],
      },
    ],
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
    findAccount: (_ctx, sub) => ({
      accountId: sub,
      claims: () => ({ sub, email, email_verified: true, name: "Grace Hopper" }),
    }),
    features: { devInteractions: { enabled: true } },
    pkce: { required: () => true },
  });
  provider.proxy = true;
  server = provider.listen(ports.oidc);
});

test.afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

test("sign in through the OIDC provider lands in the dashboard with a new account", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: `Continue with ${oidc.name}` }).click();
  // oidc-provider's development interaction: a login form, then a consent form.
  await expect(page).toHaveURL(new RegExp(`^${oidc.issuer}/interaction/`));
  await page.locator('input[name="login"]').fill("grace");
  await page.locator('input[name="password"]').fill("any password");
  await page.getByRole("button", { name: /sign-in/i }).click();
  await page.getByRole("button", { name: /continue/i }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await expect(page.getByRole("heading", { name: "Workspaces" })).toBeVisible();
  await expect(page.getByRole("link", { name: /Grace Hopper's workspace/ })).toBeVisible();
  await page.getByRole("button", { name: "User menu" }).click();
  await expect(page.getByText(email)).toBeVisible();
});
