import { expect, test, type Page } from "@playwright/test";

/** Helpers the UI specs share: signing up through the page, calling the API with its session, screenshots. */

export type TUser = { name: string; email: string; password: string };

/** Fills in and sends the sign-up form, as a new user does; what follows is the caller's to check. */
export async function fillSignUp(page: Page, user: TUser) {
  await page.goto("/sign-up");
  await page.getByLabel("Name", { exact: true }).fill(user.name);
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByRole("button", { name: "Create account" }).click();
}

/** Signs up through the form, as a new user does, and lands on the dashboard. */
export async function signUp(page: Page, user: TUser) {
  await fillSignUp(page, user);
  await expect(page).toHaveURL(/\/dashboard$/);
}

/** A tRPC mutation with the page's session (for setup the spec is not about); fails the test on an error. */
export async function mutate<T = unknown>(page: Page, path: string, input: unknown): Promise<T> {
  const response = await page.request.post(`/api/trpc/${path}`, { data: { json: input } });
  const body = (await response.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  expect(response.ok(), `${path}: ${JSON.stringify(body.error)}`).toBe(true);
  return body.result!.data!.json as T;
}

/** A screenshot into the test's output folder. */
export const shot = (page: Page, name: string, fullPage = true) =>
  page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage });
