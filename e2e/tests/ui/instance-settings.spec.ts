import { expect, test, type Page } from "@playwright/test";
import { dataDir, pipelineRoot } from "../../playwright.config";
import { e2eAdmin, setHostComputeEnvs } from "../support/admin";
import { type TUser, mutate, shot, signUp } from "../support/app";

// The instance admin's page, and what its default protects: a stranger who signs up cannot make
// Lockstep's own machine run their code. The global setup hands local environments to workspace
// maintainers for the other specs; this spec sets the default back, and restores that at the end.

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const stranger: TUser = {
  name: "Stranger Danger",
  email: `stranger-${tag}@example.org`,
  password: "correct horse battery",
};
const REFUSED = "Only an instance admin can create local or host Slurm compute environments on this instance.";

async function signIn(page: Page, user: { email: string; password: string }) {
  await page.goto("/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

async function personalWorkspaceId(page: Page): Promise<string> {
  const response = await page.request.get("/api/trpc/workspaces.list");
  const body = (await response.json()) as { result: { data: { json: Array<{ id: string; personal: boolean }> } } };
  return body.result.data.json.find((w) => w.personal)!.id;
}

/** Fills the new-environment dialog for a local environment and submits it. */
async function createLocalEnvironment(page: Page, workspaceId: string, name: string) {
  await page.goto(`/w/${workspaceId}/compute-envs`);
  await page.getByRole("button", { name: "New compute environment" }).click();
  const dialog = page.getByRole("dialog", { name: "New compute environment" });
  await dialog.getByRole("radio", { name: "Local", exact: true }).check();
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  await dialog.getByLabel("Work directory").fill(`${dataDir}/stranger-runs`);
  await dialog.getByRole("button", { name: "Create compute environment" }).click();
  return dialog;
}

test.afterAll(async ({ baseURL }) => {
  await setHostComputeEnvs(baseURL!, "workspace-maintainers");
});

test("instance settings: the admin's page, the default refusal for everyone else, and handing it to maintainers", async ({
  browser,
  page,
  baseURL,
}) => {
  test.setTimeout(120_000);
  // ── The instance admin (the first account, signed up by the global setup) ───────────────────────
  await signIn(page, e2eAdmin);
  await page.getByRole("button", { name: "User menu" }).click();
  await page.getByRole("menuitem", { name: "Instance settings" }).click();
  await expect(page).toHaveURL(/\/settings\/instance$/);
  await expect(page.getByRole("heading", { level: 1, name: "Instance settings" })).toBeVisible();
  // The global setup chose maintainers; back to the default.
  const adminsOnly = page.getByRole("radio", { name: "Instance admins only (recommended)" });
  await expect(page.getByRole("radio", { name: "Workspace maintainers" })).toBeChecked();
  await adminsOnly.check();
  await page.getByRole("button", { name: "Save", exact: true }).click();
  await expect(page.getByText("Saved.")).toBeVisible();
  await expect(adminsOnly).toBeChecked();
  await expect(page.getByText(/^Last changed .* by Instance Admin\.$/)).toBeVisible();
  await expect(page.getByRole("list", { name: "Allowed pipeline directories" })).toHaveText(pipelineRoot);
  const changes = page.getByRole("table", { name: "Recent changes" });
  await expect(changes.getByRole("row").nth(1)).toContainText(
    "Local and host Slurm environments: workspace maintainers → instance admins only",
  );
  await expect(changes.getByRole("row").nth(1)).toContainText(e2eAdmin.email);
  const users = page.getByRole("table", { name: "Users" });
  const adminRow = users.getByRole("row", { name: new RegExp(e2eAdmin.email) });
  await expect(adminRow).toContainText("Instance admin");
  await expect(adminRow).toContainText("(you)");
  await expect(page.getByRole("navigation", { name: "Users pages" })).toContainText(
    /^1–\d+ of \d+ users? · \d+ instance admins?/,
  );
  await shot(page, "instance-settings");

  // ── A stranger signs up: no instance powers, and no local environment, even at home ────────────
  const strangerContext = await browser.newContext();
  const spage = await strangerContext.newPage();
  try {
    await signUp(spage, stranger);
    await spage.getByRole("button", { name: "User menu" }).click();
    await expect(spage.getByRole("menuitem", { name: "Access tokens" })).toBeVisible();
    await expect(spage.getByRole("menuitem", { name: "Instance settings" })).toHaveCount(0);
    await spage.goto("/settings/instance");
    await expect(spage.getByText("For instance admins only")).toBeVisible();
    const forbidden = await spage.request.get("/api/trpc/instance.get");
    expect(forbidden.status()).toBe(403);

    const home = await personalWorkspaceId(spage);
    const dialog = await createLocalEnvironment(spage, home, "My laptop");
    // On the Kind field, in words a person understands; nothing was created.
    await expect(dialog.getByRole("group", { name: "Kind" })).toContainText(REFUSED);
    await dialog.getByRole("radio", { name: "Slurm", exact: true }).check();
    await dialog.getByRole("button", { name: "Create compute environment" }).click();
    await expect(dialog.getByRole("group", { name: "Kind" })).toContainText(REFUSED);
    await shot(spage, "stranger-local-refused");
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(spage.getByText("No compute environments yet")).toBeVisible();

    // A pipeline registered as a file outside the pipeline directories is refused, and says nothing of the file.
    await spage.goto(`/w/${home}/pipelines`);
    await spage.getByRole("button", { name: "New pipeline" }).click();
    const pDialog = spage.getByRole("dialog", { name: "New pipeline" });
    await pDialog.getByLabel("Name", { exact: true }).fill("Shadow");
    await pDialog.getByLabel("Repository").fill("/etc/shadow");
    await pDialog.getByRole("button", { name: "Create pipeline" }).click();
    await expect(
      pDialog.getByText(
        `The path is outside the allowed pipeline directories. A local pipeline must be a directory holding main.nf inside ${pipelineRoot}.`,
      ),
    ).toBeVisible();
    await expect(pDialog).not.toContainText("root:");
    await shot(spage, "stranger-pipeline-refused");
    await pDialog.getByRole("button", { name: "Cancel" }).click();

    // ── Positive control: handed to maintainers, the same dialog creates it ─────────────────────
    await setHostComputeEnvs(baseURL!, "workspace-maintainers");
    const again = await createLocalEnvironment(spage, home, "My laptop");
    await expect(again).toHaveCount(0);
    await expect(spage.getByText("Created My laptop.")).toBeVisible();
    // …yet from a personal workspace only an instance admin may launch on it.
    const pipeline = await mutate<{ id: string }>(spage, "pipelines.create", {
      workspaceId: home,
      pipeline: { name: "Sleeps", repository: `${pipelineRoot}/sleeps` },
    });
    await spage.goto(`/w/${home}/launch?pipelineId=${pipeline.id}`);
    await spage.getByRole("button", { name: "Launch run" }).click();
    await expect(
      spage.getByText(
        /^Only an instance admin can launch runs on local or host Slurm compute environments from a personal workspace/,
      ),
    ).toBeVisible();
    await expect(spage).toHaveURL(new RegExp(`/w/${home}/launch`));
    await shot(spage, "stranger-launch-refused");
  } finally {
    await strangerContext.close();
  }

  // ── The admin makes the stranger an admin and takes it back; the last admin cannot go ──────────
  await page.reload();
  await page.getByLabel("Search users by email or name").fill(stranger.email);
  const strangerRow = users.getByRole("row", { name: new RegExp(stranger.email) });
  await expect(strangerRow).toContainText("User");
  await strangerRow.getByRole("button", { name: `Make ${stranger.email} an instance admin` }).click();
  await expect(strangerRow).toContainText("Instance admin");
  await strangerRow.getByRole("button", { name: `Revoke instance admin from ${stranger.email}` }).click();
  await strangerRow.getByRole("button", { name: "Confirm revoke" }).click();
  await expect(strangerRow).not.toContainText("Instance admin");
  await expect(changes.getByRole("row").nth(1)).toContainText(`Revoked instance admin from ${stranger.email}`);
  await expect(changes.getByRole("row").nth(2)).toContainText(`Made ${stranger.email} an instance admin`);
  await page.getByLabel("Search users by email or name").fill(e2eAdmin.email);
  // Other specs may have made more admins: the button is disabled exactly when this is the only one.
  await expect(adminRow.getByRole("button", { name: `Revoke instance admin from ${e2eAdmin.email}` })).toBeEnabled({
    enabled: (await adminCount(page)) > 1,
  });
  await page.getByLabel("Search users by email or name").fill("");
  await shot(page, "instance-settings-after");
});

async function adminCount(page: Page): Promise<number> {
  const response = await page.request.get(
    `/api/trpc/instance.users.list?input=${encodeURIComponent(JSON.stringify({ json: { page: 1, pageSize: 1 } }))}`,
  );
  return ((await response.json()) as { result: { data: { json: { admins: number } } } }).result.data.json.admins;
}
