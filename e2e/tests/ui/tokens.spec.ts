import { expect, test } from "@playwright/test";
import { signUp } from "../support/app";

const run = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const user = { name: "Tess Tokens", email: `tess-${run}@example.org`, password: "correct horse battery" };

test("a token created in the UI authenticates the API until it is revoked", async ({ page, request }) => {
  await signUp(page, user);

  await page.getByRole("button", { name: "User menu" }).click();
  await page.getByRole("menuitem", { name: "Access tokens" }).click();
  await expect(page).toHaveURL(/\/settings\/tokens$/);
  await expect(page.getByText("No access tokens")).toBeVisible();
  await page.screenshot({ path: test.info().outputPath("tokens-empty.png"), fullPage: true });

  // A name is required, and the form says so.
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Give the token a name.")).toBeVisible();

  // Every token expires: "Never" is no choice, and nothing beyond the instance's maximum is offered.
  const expiry = page.getByLabel("Expires after");
  await expect(expiry.getByRole("option")).toHaveText(["7 days", "30 days", "90 days (maximum)"]);
  await expect(expiry).toHaveValue("90");
  // At least one scope; `read` is chosen to begin with.
  await page.getByLabel("Token name").fill("CI");
  await page.getByRole("checkbox", { name: "read" }).uncheck();
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("Choose at least one scope.")).toBeVisible();
  await page.getByRole("checkbox", { name: "read" }).check();
  await page.getByRole("checkbox", { name: "launch" }).check();
  await expiry.selectOption({ label: "30 days" });
  await page.getByRole("button", { name: "Create token" }).click();
  await expect(page.getByText("you won’t see it again")).toBeVisible();
  const token = await page.getByRole("textbox", { name: "New access token" }).inputValue();
  expect(token.length).toBeGreaterThan(20);
  const row = page.getByRole("table", { name: "Access tokens" }).getByRole("row", { name: /CI/ });
  await expect(row).toContainText("Never");
  await expect(row.getByRole("cell").nth(2)).toHaveText("readlaunch");
  const prefix = (await row.getByRole("cell").nth(1).innerText()).replace(/…$/, "");
  expect(token.startsWith(prefix)).toBe(true);
  await page.screenshot({ path: test.info().outputPath("tokens-created.png"), fullPage: true });

  // `request` has no browser cookies: only the token can authenticate it.
  const me = await request.get("/api/trpc/me.get", { headers: { Authorization: `Bearer ${token}` } });
  expect(me.status()).toBe(200);
  const body = (await me.json()) as { result: { data: { json: { email: string } } } };
  expect(body.result.data.json.email).toBe(user.email);

  // The token is shown once: after a reload only its prefix remains, now with when and from where it was last used.
  await page.reload();
  await expect(page.getByRole("textbox", { name: "New access token" })).toHaveCount(0);
  await expect(page.getByText(token)).toHaveCount(0);
  await expect(row.getByRole("cell").nth(4)).toContainText(/from (127\.0\.0\.1|::1)$/);
  await page.screenshot({ path: test.info().outputPath("tokens-last-used.png"), fullPage: true });

  // The scopes hold: this token may read and launch, not write.
  const write = await request.post("/api/trpc/orgs.create", {
    data: { json: { name: "No", slug: `no-${run}` } },
    headers: { Authorization: `Bearer ${token}` },
  });
  expect(write.status()).toBe(403);

  await row.getByRole("button", { name: "Revoke CI" }).click();
  await expect(row).toContainText("Anything using it stops working.");
  await row.getByRole("button", { name: "Confirm revoke" }).click();
  await expect(page.getByText("No access tokens")).toBeVisible();

  const after = await request.get("/api/trpc/me.get", { headers: { Authorization: `Bearer ${token}` } });
  expect(after.status()).toBe(401);
});

test("sign out everywhere offers to revoke the access tokens too", async ({ page, request }) => {
  await page.goto("/sign-in");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto("/settings/tokens");
  await page.getByLabel("Token name").fill("Nightly");
  await page.getByRole("button", { name: "Create token" }).click();
  const token = await page.getByRole("textbox", { name: "New access token" }).inputValue();
  expect((await request.get("/api/trpc/me.get", { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(200);

  await page.getByRole("button", { name: "User menu" }).click();
  await page.getByRole("menuitem", { name: "Sign out everywhere…" }).click();
  const dialog = page.getByRole("dialog", { name: "Sign out everywhere?" });
  await expect(dialog.getByRole("checkbox", { name: "Also revoke my access token" })).not.toBeChecked();
  await dialog.getByRole("checkbox", { name: "Also revoke my access token" }).check();
  await page.screenshot({ path: test.info().outputPath("sign-out-everywhere.png"), fullPage: true });
  await dialog.getByRole("button", { name: "Sign out everywhere" }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await request.get("/api/trpc/me.get", { headers: { Authorization: `Bearer ${token}` } })).status()).toBe(401);
});
