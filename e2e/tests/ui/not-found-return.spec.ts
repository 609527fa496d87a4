import { randomUUID } from "node:crypto";
import { expect, test, type Browser, type Page } from "@playwright/test";
import { mutate, shot, signUp, type TUser } from "../support/app";

/** Deep links survive sign-in, what is not there answers 404 with a finished page, the icon is served. */
const run = Date.now().toString(36);
const password = "correct horse battery";
const owner: TUser = { name: "Nora Owner", email: `nora-${run}@example.test`, password };
const stranger: TUser = { name: "Sam Stranger", email: `sam-${run}@example.test`, password };

async function newUserPage(browser: Browser, who: TUser): Promise<Page> {
  const page = await (await browser.newContext()).newPage();
  await signUp(page, who);
  return page;
}

async function signIn(page: Page, who: TUser) {
  await page.getByLabel("Email").fill(who.email);
  await page.getByLabel("Password").fill(who.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

test("signing in from a deep link returns to it; a link to another site returns to the dashboard", async ({
  page,
  browser,
}) => {
  await signUp(page, owner);
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Deep ${run}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `Deep link ${run}` });
  const deep = `/w/${ws.id}/runs?status=FAILED`;

  const fresh = await (await browser.newContext()).newPage();
  await fresh.goto(deep);
  await expect(fresh).toHaveURL(
    new RegExp(`/sign-in\\?callbackUrl=${encodeURIComponent(deep).replace(/[?]/g, "\\?")}$`),
  );
  await signIn(fresh, owner);
  await expect(fresh).toHaveURL(new RegExp(`${deep.replace(/[?]/g, "\\?")}$`));

  // Attacks: the return address is only ever a path on this site.
  for (const evil of ["//evil.example/phish", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"]) {
    const other = await (await browser.newContext()).newPage();
    await other.goto(`/sign-in?callbackUrl=${encodeURIComponent(evil)}`);
    await signIn(other, owner);
    await expect(other).toHaveURL(/\/dashboard$/);
    expect(new URL(other.url()).host).toBe(new URL(fresh.url()).host);
  }
});

test("unknown pages, and workspaces, organizations and runs the user cannot see, answer 404 with the app's own page", async ({
  page,
  browser,
}) => {
  const own = await newUserPage(browser, { ...owner, email: `nora2-${run}@example.test` });
  const org = await mutate<{ id: string }>(own, "orgs.create", { name: `Private ${run}` });
  const ws = await mutate<{ id: string }>(own, "workspaces.create", { orgId: org.id, name: `Private ws ${run}` });

  // Positive control: the owner gets 200 on each of these pages.
  for (const path of [`/w/${ws.id}`, `/w/${ws.id}/runs`, `/orgs/${org.id}`, `/orgs/${org.id}/settings`]) {
    expect((await own.goto(path))!.status(), path).toBe(200);
  }

  await signUp(page, stranger);
  for (const path of [
    `/w/${ws.id}`,
    `/w/${ws.id}/runs`,
    `/w/${ws.id}/launch`,
    `/orgs/${org.id}`,
    `/orgs/${org.id}/settings`,
    `/w/${randomUUID()}`,
    "/w/not-an-id/runs",
    `/w/${ws.id}/runs/${randomUUID()}`,
  ]) {
    const response = await page.goto(path);
    expect(response!.status(), path).toBe(404);
    await expect(page.getByRole("heading", { name: "Not found" })).toBeVisible();
    // Inside the app's frame: the header is there, and the same words for "absent" and "not yours".
    await expect(page.getByRole("link", { name: "Lockstep home" })).toBeVisible();
  }
  // The owner's own run id that does not exist is 404 for the owner too.
  expect((await own.goto(`/w/${ws.id}/runs/${randomUUID()}`))!.status()).toBe(404);

  const unknown = await page.goto(`/no-such-page-${run}`);
  expect(unknown!.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
  await expect(page).toHaveTitle("Page not found · Lockstep");
  await shot(page, "not-found");
});

test("a collaborator has no members page: 404 instead of an empty page", async ({ browser }) => {
  const ownerPage = await newUserPage(browser, { ...owner, email: `nora3-${run}@example.test` });
  const colleague: TUser = { name: "Cleo Collaborator", email: `cleo-${run}@example.test`, password };
  const colleaguePage = await newUserPage(browser, colleague);
  const org = await mutate<{ id: string }>(ownerPage, "orgs.create", { name: `Members ${run}` });
  const invitation = await mutate<{ id: string }>(ownerPage, "orgs.members.add", {
    orgId: org.id,
    email: colleague.email,
    role: "collaborator",
  });
  await mutate(colleaguePage, "invitations.accept", { invitationId: invitation.id });
  expect((await colleaguePage.goto(`/orgs/${org.id}`))!.status()).toBe(200);
  expect((await colleaguePage.goto(`/orgs/${org.id}/settings`))!.status()).toBe(404);
  // Positive control: promoted to member, the same page is theirs.
  const list = await ownerPage.request.get(
    `/api/trpc/orgs.members.list?input=${encodeURIComponent(JSON.stringify({ json: { orgId: org.id } }))}`,
  );
  const members = (
    (await list.json()) as { result: { data: { json: Array<{ userId?: string; id?: string; email: string }> } } }
  ).result.data.json;
  const cleo = members.find((m) => m.email === colleague.email)!;
  await mutate(ownerPage, "orgs.members.updateRole", { orgId: org.id, userId: cleo.userId ?? cleo.id, role: "member" });
  expect((await colleaguePage.goto(`/orgs/${org.id}/settings`))!.status()).toBe(200);
  await expect(colleaguePage.getByRole("heading", { name: "Members", level: 1 })).toBeVisible();
});

test("the app has an icon", async ({ page, request }) => {
  const ico = await request.get("/favicon.ico");
  expect(ico.status()).toBe(200);
  expect(ico.headers()["content-type"]).toMatch(/image\/(x-icon|vnd\.microsoft\.icon)/);
  await page.goto("/sign-in");
  const href = await page.locator('head link[rel="icon"][type="image/svg+xml"]').getAttribute("href");
  expect(href).toBeTruthy();
  const svg = await request.get(href!);
  expect(svg.status()).toBe(200);
  expect(await svg.text()).toContain("<svg");
});

test("a password of spaces is refused on its field, naming the rule", async ({ page }) => {
  await page.goto("/sign-up");
  await page.getByLabel("Name", { exact: true }).fill("Space Cadet");
  await page.getByLabel("Email", { exact: true }).fill(`spaces-${run}@example.test`);
  await page.getByLabel("Password", { exact: true }).fill(" ".repeat(12));
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page.getByText("Password must have at least 10 characters that are not spaces.")).toBeVisible();
  await expect(page).toHaveURL(/\/sign-up/);
});
