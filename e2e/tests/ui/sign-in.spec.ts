import { expect, test } from "@playwright/test";

test("the root sends a visitor to a finished sign-in page", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/sign-in$/);
  await expect(page).toHaveTitle("Sign in · Lockstep");
  await expect(page.getByRole("heading", { name: "Sign in to Lockstep" })).toBeVisible();
  await expect(page.getByLabel("Email")).toBeVisible();
  await expect(page.getByLabel("Password")).toBeVisible();
  // Styles are applied (Tailwind compiled): the primary button is not the browser default.
  const background = await page
    .getByRole("button", { name: "Sign in" })
    .evaluate((el) => getComputedStyle(el).backgroundColor);
  expect(background).not.toBe("rgba(0, 0, 0, 0)");
  await page.screenshot({ path: test.info().outputPath("sign-in.png"), fullPage: true });
});

test("the sign-in form names each missing field", async ({ page }) => {
  await page.goto("/sign-in");
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page.getByText("Enter an email address like ada@example.org.")).toBeVisible();
  await expect(page.getByText("Enter your password.")).toBeVisible();
  await expect(page.getByLabel("Email")).toHaveAttribute("aria-invalid", "true");
});
