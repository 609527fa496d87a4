import { expect, test, type Browser, type Page } from "@playwright/test";
import { e2eAdmin, setSignupPolicy } from "../support/admin";
import { fillSignUp, mutate, shot, signUp, type TUser } from "../support/app";

// Accounts: the sign-up policy (the e2e app leaves LOCKSTEP_SIGNUP unset, so the default applies
// until the global setup's saved "open", which this spec takes back and restores), sign-up by
// invitation, and an instance admin disabling an account.

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const stranger: TUser = {
  name: "Sam Stranger",
  email: `stranger-${tag}@example.org`,
  password: "correct horse battery",
};
const newbie: TUser = { name: "Nina Newbie", email: `newbie-${tag}@example.org`, password: "battery staple horse" };
const worker: TUser = { name: "Wes Worker", email: `wes-${tag}@example.org`, password: "staple horse battery" };
const INVITE_ONLY =
  "Sign-up on this instance is by invitation only. Ask an organization owner or workspace admin to invite this email address, then sign up with it.";

async function signIn(page: Page, user: { email: string; password: string }) {
  await page.goto("/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function withPage<T>(browser: Browser, use: (page: Page) => Promise<T>): Promise<T> {
  const context = await browser.newContext();
  try {
    return await use(await context.newPage());
  } finally {
    await context.close();
  }
}

test.afterAll(async ({ baseURL }) => {
  await setSignupPolicy(baseURL!, "open");
});

test("by default sign-up is by invitation: a stranger is refused, an invited email signs up and accepts", async ({
  browser,
  page,
  baseURL,
}) => {
  test.setTimeout(120_000);
  // Back to the environment's policy: LOCKSTEP_SIGNUP is unset, so the default.
  await setSignupPolicy(baseURL!, null);
  await signIn(page, e2eAdmin);
  await expect(page).toHaveURL(/\/dashboard$/);
  await page.goto("/settings/instance");
  const signupCard = page.getByRole("form", { name: "Sign-up" });
  await expect(signupCard.getByRole("radio", { name: "By invitation (recommended)" })).toBeChecked();
  await expect(page.getByTestId("signup-source")).toHaveText(
    "In force: by invitation, from the environment (LOCKSTEP_SIGNUP=invite). Saving a policy here overrides it.",
  );
  await shot(page, "instance-signup-default");

  // A stranger: the page says it is by invitation, and the server refuses, on the email field.
  await withPage(browser, async (spage) => {
    await fillSignUp(spage, stranger);
    await expect(
      spage.getByText(
        "Sign-up is by invitation: use the email address an organization owner or workspace admin invited.",
        { exact: false },
      ),
    ).toBeVisible();
    await expect(spage.getByText(INVITE_ONLY)).toBeVisible();
    await expect(spage.getByLabel("Email", { exact: true })).toHaveAttribute("aria-invalid", "true");
    await expect(spage).toHaveURL(/\/sign-up$/);
    await shot(spage, "sign-up-invite-refused");
    // Nor can it sign in: no account was made.
    await signIn(spage, stranger);
    await expect(spage.getByText("Email or password is incorrect.")).toBeVisible();
  });

  // The admin invites an email nobody uses yet to a workspace.
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Accounts ${tag}` });
  const ws = await mutate<{ id: string; name: string }>(page, "workspaces.create", {
    orgId: org.id,
    name: `Onboarding ${tag}`,
  });
  const invitation = await mutate<{ email: string; status: string; role: string }>(
    page,
    "workspaces.participants.add",
    { workspaceId: ws.id, email: newbie.email, role: "launch" },
  );
  expect(invitation).toMatchObject({ email: newbie.email, status: "pending", role: "launch" });

  // That email may sign up, and finds the invitation on its dashboard; the workspace appears on accepting.
  await withPage(browser, async (npage) => {
    await signUp(npage, newbie);
    const invitations = npage.getByRole("list", { name: "Invitations" });
    await expect(invitations).toContainText(ws.name);
    await expect(invitations).toContainText(`invited by ${e2eAdmin.name}`);
    await expect(npage.getByRole("link", { name: new RegExp(ws.name) })).toHaveCount(0);
    await shot(npage, "dashboard-invitation");
    await npage.getByRole("button", { name: `Accept the invitation to ${ws.name}` }).click();
    await expect(npage.getByText(`You joined ${ws.name} (Accounts ${tag}) as launch.`)).toBeVisible();
    await npage.getByRole("link", { name: new RegExp(ws.name) }).click();
    await expect(npage.getByRole("heading", { name: "Your role: launch" })).toBeVisible();
  });

  // Positive control: saved "open" on the page wins over the environment, and the stranger gets in.
  await page.reload();
  await signupCard.getByRole("radio", { name: "Open" }).check();
  await page.getByRole("button", { name: "Save sign-up policy" }).click();
  await expect(page.getByText("Sign-up policy saved.")).toBeVisible();
  await expect(page.getByTestId("signup-source")).toContainText(
    "In force: open, saved on this page; it wins over the environment (LOCKSTEP_SIGNUP=invite)",
  );
  await withPage(browser, (spage) => signUp(spage, stranger));
  await page.getByRole("button", { name: "Use LOCKSTEP_SIGNUP again" }).click();
  await expect(page.getByText("LOCKSTEP_SIGNUP applies again.")).toBeVisible();
  await expect(signupCard.getByRole("radio", { name: "By invitation (recommended)" })).toBeChecked();
  const changes = page.getByRole("table", { name: "Recent changes" });
  await expect(changes.getByRole("row").nth(1)).toContainText("Sign-up: open → LOCKSTEP_SIGNUP (environment)");
  await expect(changes.getByRole("row").nth(2)).toContainText("Sign-up: LOCKSTEP_SIGNUP (environment) → open");
  await shot(page, "instance-signup-changes");
});

test("an instance admin disables an account: its session and tokens stop at once, it cannot sign in until enabled", async ({
  browser,
  page,
  baseURL,
  playwright,
}) => {
  test.setTimeout(120_000);
  await setSignupPolicy(baseURL!, "open");
  const wcontext = await browser.newContext();
  const wpage = await wcontext.newPage();
  try {
    await signUp(wpage, worker);
    const { token } = await mutate<{ token: string }>(wpage, "me.tokens.create", { name: "ci" });
    const api = await playwright.request.newContext({
      baseURL,
      extraHTTPHeaders: { authorization: `Bearer ${token}` },
    });
    try {
      expect((await api.get("/api/trpc/me.get")).status()).toBe(200);

      await signIn(page, e2eAdmin);
      await expect(page).toHaveURL(/\/dashboard$/);
      await page.goto("/settings/instance");
      await page.getByLabel("Search users by email or name").fill(worker.email);
      const users = page.getByRole("table", { name: "Users" });
      const row = users.getByRole("row", { name: new RegExp(worker.email) });
      await expect(row).not.toContainText("Disabled");
      // Never yourself: the admin's own row offers no "Disable".
      await page.getByLabel("Search users by email or name").fill(e2eAdmin.email);
      await expect(
        users.getByRole("row", { name: new RegExp(e2eAdmin.email) }).getByRole("button", { name: /^Disable / }),
      ).toHaveCount(0);
      await page.getByLabel("Search users by email or name").fill(worker.email);
      await row.getByRole("button", { name: `Disable ${worker.email}` }).click();
      await expect(row).toContainText(`Disable ${worker.name}? They are signed out everywhere.`);
      await row.getByRole("button", { name: "Confirm disable" }).click();
      await expect(
        page.getByText(`Disabled ${worker.email}: their sessions and access tokens no longer work.`),
      ).toBeVisible();
      await expect(row).toContainText("Disabled");
      await shot(page, "instance-user-disabled");

      // At once: the open session is gone, the token is refused, and signing in says why.
      await wpage.goto("/dashboard");
      await expect(wpage).toHaveURL(/\/sign-in/);
      expect((await api.get("/api/trpc/me.get")).status()).toBe(401);
      await signIn(wpage, worker);
      await expect(wpage.getByText("This account has been disabled by an instance admin.")).toBeVisible();
      await shot(wpage, "sign-in-disabled");

      // Enabled again (positive control): signing in and the token work.
      await row.getByRole("button", { name: `Enable ${worker.email}` }).click();
      await expect(page.getByText(`Enabled ${worker.email}: they can sign in again.`)).toBeVisible();
      await expect(row).not.toContainText("Disabled");
      expect((await api.get("/api/trpc/me.get")).status()).toBe(200);
      await signIn(wpage, worker);
      await expect(wpage).toHaveURL(/\/dashboard$/);

      // Ending the sessions signs them out without disabling the account.
      await row.getByRole("button", { name: `End the sessions of ${worker.email}` }).click();
      await row.getByRole("button", { name: "Confirm sign-out" }).click();
      await expect(page.getByText(`Ended every session of ${worker.email}.`)).toBeVisible();
      await wpage.goto("/dashboard");
      await expect(wpage).toHaveURL(/\/sign-in/);
      await signIn(wpage, worker);
      await expect(wpage).toHaveURL(/\/dashboard$/);

      const changes = page.getByRole("table", { name: "Recent changes" });
      await expect(changes.getByRole("row").nth(1)).toContainText(`Ended every session of ${worker.email}`);
      await expect(changes.getByRole("row").nth(2)).toContainText(`Enabled ${worker.email}`);
      await expect(changes.getByRole("row").nth(3)).toContainText(`Disabled ${worker.email}`);
    } finally {
      await api.dispose();
    }
  } finally {
    await wcontext.close();
  }
});
