import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test, type Page } from "@playwright/test";
import postgres from "postgres";
import { dataDir } from "../../playwright.config";
import { type TUser, mutate, shot, signUp } from "../support/app";
import { databaseUrl } from "../support/services";

// Real runs: the worker provisions the secrets file, starts the pinned Nextflow on these fixture
// pipelines and deletes the secrets when the run ends. Everything a user does goes through the UI;
// only the setup (organization, workspace, secrets) uses the API, with the page's session.

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/pipelines");
const runsDir = join(dataDir, "runs");

// Distinct values so the published hashes tell which one reached the task.
const values = {
  dbPassword: `db-${tag}-workspace`,
  workspaceToken: `tok-${tag}-workspace`,
  userToken: `tok-${tag}-mine`,
};

const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");

/** A tRPC mutation over HTTP with the browser's session cookie. */

/** A user with an organization workspace holding DB_PASSWORD and API_TOKEN, and their own API_TOKEN. */
async function setUp(page: Page, who: string) {
  const user: TUser = {
    name: `${who} Runner`,
    email: `${who.toLowerCase()}-runs-${tag}@example.org`,
    password: "correct horse battery",
  };
  await signUp(page, user);
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Runs ${who} ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", {
    orgId: org.id,
    name: `Pipelines ${who} ${tag}`,
  });
  await mutate(page, "secrets.create", {
    workspaceId: ws.id,
    name: "DB_PASSWORD",
    value: { plain: values.dbPassword },
  });
  await mutate(page, "secrets.create", {
    workspaceId: ws.id,
    name: "API_TOKEN",
    value: { plain: values.workspaceToken },
  });
  await mutate(page, "userSecrets.create", { name: "API_TOKEN", value: { plain: values.userToken } });
  return { user, workspaceId: ws.id };
}

const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"];

/** The statuses the run page's header shows, in order, until the run ends (or `until` is shown). */
async function watchStatuses(page: Page, until: string[], timeoutMs: number): Promise<string[]> {
  const badge = page.getByTestId("run-header").locator("[data-status]");
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const status = await badge.getAttribute("data-status", { timeout: 5000 }).catch(() => null);
    if (status && status !== seen.at(-1)) seen.push(status);
    if (status && until.includes(status)) return seen;
    await page.waitForTimeout(200);
  }
  throw new Error(`the run did not reach ${until.join("/")} in ${timeoutMs / 1000} s; seen: ${seen.join(" → ")}`);
}

/** Every path under `dir`, recursively (symlinks not followed). */
function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    return e.isDirectory() ? [path, ...walk(path)] : [path];
  });
}

test("a run launched from the UI gets the effective secrets, reports its lifecycle live, and leaves no secret behind", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const { workspaceId } = await setUp(page, "Ada");

  // A personal workspace says up front that its runs get no secrets.
  await page.goto("/dashboard");
  await page.getByRole("link", { name: /Personal workspace/ }).click();
  await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}$/);
  await page.goto(`${page.url()}/launch`);
  await expect(page.getByRole("note")).toContainText("Runs launched from a personal workspace get no secrets.");
  await shot(page, "launch-personal");

  // ── Compute environment, with the server's validation shown on the field ──────────────────────
  await page.goto(`/w/${workspaceId}/compute-envs`);
  await expect(page.getByRole("heading", { level: 1, name: "Compute environments" })).toBeVisible();
  await expect(page.getByText("No compute environments yet")).toBeVisible();
  await shot(page, "compute-envs-empty");
  await page.getByRole("button", { name: "New compute environment" }).click();
  const ceDialog = page.getByRole("dialog", { name: "New compute environment" });
  await expect(ceDialog.getByLabel("Nextflow version")).toHaveValue("24.10.8");
  await ceDialog.getByLabel("Name", { exact: true }).fill("This machine");
  await ceDialog.getByLabel("Work directory").fill("runs/relative");
  await ceDialog.getByLabel("Slurm", { exact: true }).check();
  await expect(ceDialog.getByLabel("Partition (optional)")).toBeVisible();
  await ceDialog.getByLabel("Extra sbatch options (optional)").fill("--mem=8G\n--bad option");
  await ceDialog.getByRole("button", { name: "Create compute environment" }).click();
  await expect(ceDialog.getByText("Enter an absolute path, starting with /.", { exact: true })).toBeVisible();
  await expect(ceDialog.getByText(/^Line 2: each option must look like --name/)).toBeVisible();
  await expect(ceDialog.getByLabel("Work directory")).toHaveAttribute("aria-invalid", "true");
  await shot(page, "compute-env-dialog-errors");
  await ceDialog.getByLabel("Name", { exact: true }).scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath("compute-env-dialog-errors-top.png") });
  await ceDialog.getByLabel("Local").check();
  await expect(ceDialog.getByLabel("Partition (optional)")).toHaveCount(0);
  await ceDialog.getByLabel("Work directory").fill(runsDir);
  await ceDialog.getByLabel("Environment variables (optional)").fill("TZ=UTC\nLOCKSTEP_E2E=1");
  await ceDialog.getByRole("button", { name: "Create compute environment" }).click();
  await expect(ceDialog).toHaveCount(0);
  await expect(page.getByText("Created This machine.")).toBeVisible();
  const ceRow = page.getByRole("table", { name: "Compute environments" }).getByRole("row", { name: /This machine/ });
  await expect(ceRow).toContainText(runsDir);
  await expect(ceRow).toContainText("24.10.8");
  await expect(ceRow).toContainText("1 day");
  await expect(ceRow.getByRole("list", { name: "Environment variables of This machine" })).toHaveText(
    /LOCKSTEP_E2E\s*TZ/,
  );
  await expect(ceRow).not.toContainText("UTC");
  await shot(page, "compute-envs");
  // Values of environment variables are never shown again: an edit keeps the saved ones it is not told to drop.
  await ceRow.getByRole("button", { name: "Edit This machine" }).click();
  const editDialog = page.getByRole("dialog", { name: "Edit This machine" });
  await expect(editDialog.getByLabel("Work directory")).toHaveValue(runsDir);
  await expect(editDialog.getByLabel("Local")).toBeChecked();
  await expect(editDialog.getByText("Values are never shown again once saved.", { exact: false })).toBeVisible();
  const keepTz = editDialog.getByRole("checkbox", { name: "Keep TZ" });
  const keepE2e = editDialog.getByRole("checkbox", { name: "Keep LOCKSTEP_E2E" });
  await expect(keepTz).toBeChecked();
  await expect(keepE2e).toBeChecked();
  await expect(editDialog.getByText(/Saving removes/)).toHaveCount(0);
  await expect(editDialog.getByText("UTC")).toHaveCount(0);
  await keepE2e.uncheck();
  await expect(editDialog.getByRole("alert")).toHaveText("Saving removes LOCKSTEP_E2E; its value cannot be recovered.");
  await expect(editDialog.getByRole("listitem").filter({ hasText: "LOCKSTEP_E2E" })).toContainText("removed on save");
  await expect(editDialog.getByRole("listitem").filter({ hasText: "TZ" })).not.toContainText("removed on save");
  await editDialog.getByRole("alert").scrollIntoViewIfNeeded();
  await page.screenshot({ path: test.info().outputPath("compute-env-edit.png") });
  await editDialog.getByRole("button", { name: "Save changes" }).click();
  await expect(editDialog).toHaveCount(0);
  await expect(page.getByText("Saved This machine.")).toBeVisible();
  await expect(ceRow.getByRole("list", { name: "Environment variables of This machine" })).toHaveText("TZ");
  await expect(
    ceRow.getByRole("list", { name: "Environment variables of This machine" }).getByRole("listitem"),
  ).toHaveCount(1);
  // The kept variable still has the value it was created with, though the form never had it.
  const sql = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
  try {
    const [stored] = await sql<
      { env: Record<string, string> }[]
    >`select env from compute_envs where workspace_id = ${workspaceId} and name = 'This machine'`;
    expect(stored?.env).toEqual({ TZ: "UTC" });
  } finally {
    await sql.end();
  }

  // ── Pipeline ───────────────────────────────────────────────────────────────────────────────────
  await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Pipelines" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/pipelines$`));
  await page.getByRole("button", { name: "New pipeline" }).click();
  const pDialog = page.getByRole("dialog", { name: "New pipeline" });
  await pDialog.getByLabel("Name", { exact: true }).fill("Secrets hash");
  // A local pipeline is its directory (holding main.nf), inside the instance's pipeline directories.
  await pDialog.getByLabel("Repository").fill(join(fixtures, "secrets-hash/main.nf"));
  await pDialog.getByRole("button", { name: "Create pipeline" }).click();
  await expect(
    pDialog.getByText(/^The path is a file, not a directory: give the directory that holds main\.nf\./),
  ).toBeVisible();
  await expect(pDialog.getByLabel("Repository")).toHaveAttribute("aria-invalid", "true");
  await pDialog.getByLabel("Repository").fill(join(fixtures, "secrets-hash"));
  await pDialog.getByLabel("Default params (optional)").fill("outdir=results");
  await expect(pDialog.getByLabel("Default compute environment")).toHaveValue(/[0-9a-f-]{36}/);
  await shot(page, "pipeline-dialog");
  await pDialog.getByRole("button", { name: "Create pipeline" }).click();
  await expect(pDialog).toHaveCount(0);
  const pRow = page.getByRole("table", { name: "Pipelines" }).getByRole("row", { name: /Secrets hash/ });
  await expect(pRow).toContainText(join(fixtures, "secrets-hash"));
  await expect(pRow).toContainText("outdir=results");
  await expect(pRow).toContainText("This machine");
  await shot(page, "pipelines");

  // ── Launch: the effective set, before launching ──────────────────────────────────────────────────
  await pRow.getByRole("link", { name: "Launch Secrets hash" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/launch\\?pipelineId=[0-9a-f-]{36}$`));
  await expect(page.getByLabel("Pipeline", { exact: true })).toHaveValue(/[0-9a-f-]{36}/);
  await expect(page.getByLabel("Pipeline", { exact: true }).locator("option:checked")).toHaveText("Secrets hash");
  await expect(page.getByLabel("Compute environment").locator("option:checked")).toHaveText(/This machine/);
  await expect(page.getByLabel("Params")).toHaveValue("outdir=results");
  // The default is what the pipeline's sources ask for (launch-needs.spec.ts covers it); this run takes "All".
  await expect(page.getByLabel("What it needs")).toBeChecked();
  await page.getByLabel("All", { exact: true }).check();
  const effective = page.getByRole("table", { name: "Secrets this run gets" });
  await expect(effective.getByRole("row")).toHaveCount(3);
  await expect(effective.getByRole("row", { name: /DB_PASSWORD/ })).toContainText(/DB_PASSWORD\s*workspace$/);
  await expect(effective.getByRole("row", { name: /API_TOKEN/ })).toContainText(
    "your secret — overrides the workspace secret of the same name",
  );
  await shot(page, "launch");
  // "Only these" narrows the set; back to "All" for the run.
  await page.getByLabel("Only these").check();
  await effective.getByRole("checkbox", { name: "Send DB_PASSWORD" }).uncheck();
  await expect(page.getByText("1 of 2 selected.")).toBeVisible();
  await shot(page, "launch-only-these");
  await page.getByLabel("All", { exact: true }).check();
  await expect(page.getByText("2 secrets will be written")).toBeVisible();
  await page.getByRole("button", { name: "Launch run" }).click();

  // ── The run page, live ─────────────────────────────────────────────────────────────────────────
  await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/runs/[0-9a-f-]{36}$`));
  const runId = page.url().split("/").at(-1)!;
  const seen = await watchStatuses(page, TERMINAL, 120_000);
  expect(seen).toEqual(["SUBMITTED", "RUNNING", "SUCCEEDED"]);
  const timeline = page.getByRole("list", { name: "Timeline" });
  await expect(timeline.locator('[data-step="deleted"]')).toHaveAttribute("data-state", "done", { timeout: 60_000 });
  await expect(timeline.locator('[data-step="deleted"]')).toContainText("Secrets deleted");
  await expect(timeline.locator('[data-step="deleted"]').locator("time")).toBeVisible();
  await expect(timeline.locator('[data-step="provisioned"]')).toHaveAttribute("data-state", "done");
  await expect(timeline.locator('[data-step="finished"]')).toContainText("Succeeded");
  await expect(timeline.locator('[data-step="finished"]')).toContainText("exit code 0");
  const received = page.getByRole("list", { name: "Secrets the run received" });
  await expect(received.getByRole("listitem")).toHaveCount(2);
  await expect(received.getByRole("listitem").filter({ hasText: "DB_PASSWORD" })).toContainText("workspace");
  await expect(received.getByRole("listitem").filter({ hasText: "API_TOKEN" })).toContainText("your secret");
  // The end-of-run pass over the run's log files reports its counts (this pipeline prints no value).
  await expect(page.getByTestId("run-redaction")).toHaveText(/^No secret value found in the run's \d+ log files\.$/);
  await expect(page.locator('[aria-label="Task counts"]')).toContainText(/Succeeded\s*2/);
  const log = page.getByRole("log", { name: "Run log" });
  await expect(log).toContainText("HASH_DB_PASSWORD");
  await expect(log).toContainText("HASH_API_TOKEN");
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  const html = await page.content();
  for (const v of Object.values(values)) expect(html, "a secret value appeared on the run page").not.toContain(v);
  await shot(page, "run-succeeded");

  // On disk: the user's API_TOKEN reached the task, and the run directory holds no secret any more.
  const runDir = join(runsDir, runId);
  expect(readFileSync(join(runDir, "results/api_token.sha256"), "utf8").trim()).toBe(sha256(values.userToken));
  expect(readFileSync(join(runDir, "results/db_password.sha256"), "utf8").trim()).toBe(sha256(values.dbPassword));
  expect(existsSync(join(runDir, "secrets")), "the run's secrets directory is still there").toBe(false);
  const leftovers = walk(runDir).filter((p) => /(^|\/)secrets$/.test(p) || /\.nf-[^/]*\.secrets$/.test(p));
  expect(leftovers, "secret files left under the run directory").toEqual([]);

  // The runs list shows it, refreshed without a reload.
  await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Runs" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/runs$`));
  const row = page.getByRole("table", { name: "Runs" }).locator(`tr[data-run-id="${runId}"]`);
  await expect(row).toContainText("Succeeded");
  await expect(row).toContainText("Secrets hash");
  await expect(row).toContainText("Ada Runner");
  await expect(row).toContainText("This machine");
  await expect(row).toContainText("Deleted");
  await expect(page.getByText(/could not be deleted/)).toHaveCount(0);
  await shot(page, "runs");
});

test("a running run is cancelled from its page: it ends CANCELLED and its secrets are deleted", async ({ page }) => {
  test.setTimeout(240_000);
  const { workspaceId } = await setUp(page, "Cy");
  const ce = await mutate<{ id: string }>(page, "computeEnvs.create", {
    workspaceId,
    computeEnv: {
      kind: "local",
      name: "Local",
      workDir: runsDir,
      nextflowVersion: "24.10.8",
      env: {},
      maxRunSeconds: 3600,
      config: {},
    },
  });
  await mutate(page, "pipelines.create", {
    workspaceId,
    pipeline: {
      name: "Sleeps",
      repository: join(fixtures, "sleeps"),
      defaultParams: { seconds: 300 },
      defaultComputeEnvId: ce.id,
    },
  });

  await page.goto(`/w/${workspaceId}/launch`);
  await expect(page.getByLabel("Pipeline", { exact: true }).locator("option:checked")).toHaveText("Sleeps");
  await expect(page.getByLabel("Params")).toHaveValue("seconds=300");
  await page.getByLabel("Params").fill("seconds=600");
  await page.getByRole("button", { name: "Launch run" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/runs/[0-9a-f-]{36}$`));
  const runId = page.url().split("/").at(-1)!;

  await watchStatuses(page, ["RUNNING", ...TERMINAL], 120_000).then((seen) => expect(seen.at(-1)).toBe("RUNNING"));
  // Params as launched: the edit overrides the default.
  await expect(page.locator('[aria-label="Params of the run"]')).toContainText(/seconds\s*600/);
  // Wait for the task itself to hold the secret, so cancelling really interrupts it.
  await expect(page.getByRole("log", { name: "Run log" })).toContainText("SLEEPS", { timeout: 60_000 });
  await shot(page, "run-running");

  await page.getByTestId("run-header").getByRole("button", { name: "Cancel run" }).click();
  const confirm = page.getByRole("dialog", { name: "Cancel this run?" });
  await expect(confirm.getByRole("button", { name: "Keep running" })).toBeFocused();
  await shot(page, "run-cancel-confirm");
  await confirm.getByRole("button", { name: "Cancel run" }).click();
  await expect(confirm).toHaveCount(0);

  const seen = await watchStatuses(page, TERMINAL, 90_000);
  expect(seen.at(-1)).toBe("CANCELLED");
  const timeline = page.getByRole("list", { name: "Timeline" });
  await expect(timeline.locator('[data-step="finished"]')).toContainText("Cancelled");
  await expect(timeline.locator('[data-step="deleted"]')).toHaveAttribute("data-state", "done", { timeout: 60_000 });
  await expect(page.getByRole("button", { name: "Cancel run" })).toHaveCount(0);
  await shot(page, "run-cancelled");

  const runDir = join(runsDir, runId);
  expect(existsSync(join(runDir, "secrets")), "the run's secrets directory is still there").toBe(false);
  expect(walk(runDir).filter((p) => /\.nf-[^/]*\.secrets$/.test(p))).toEqual([]);
});

test("a run whose secrets could not be deleted is flagged in red on the runs list and on its page", async ({
  page,
}) => {
  test.setTimeout(240_000);
  const { workspaceId } = await setUp(page, "Lin");
  const ce = await mutate<{ id: string }>(page, "computeEnvs.create", {
    workspaceId,
    computeEnv: {
      kind: "local",
      name: "Doomed",
      workDir: runsDir,
      nextflowVersion: "24.10.8",
      env: {},
      maxRunSeconds: 3600,
      config: {},
    },
  });
  const pipeline = await mutate<{ id: string }>(page, "pipelines.create", {
    workspaceId,
    pipeline: {
      name: "Sleeps",
      repository: join(fixtures, "sleeps"),
      defaultParams: { seconds: 20 },
      defaultComputeEnvId: ce.id,
    },
  });
  const run = await mutate<{ id: string }>(page, "runs.launch", {
    workspaceId,
    pipelineId: pipeline.id,
    secrets: { mode: "all" },
  });
  const runDir = join(runsDir, run.id);

  try {
    await page.goto(`/w/${workspaceId}/runs/${run.id}`);
    await watchStatuses(page, ["RUNNING", ...TERMINAL], 120_000).then((seen) => expect(seen.at(-1)).toBe("RUNNING"));

    // The UI will not delete an environment under a live run: cleanup needs it to find the secrets.
    await page.goto(`/w/${workspaceId}/compute-envs`);
    await page.getByRole("button", { name: "Delete Doomed" }).click();
    const confirm = page.getByRole("dialog", { name: "Delete Doomed" });
    await expect(confirm.getByText(/1 run on this environment is still going/)).toBeVisible();
    await expect(confirm.getByRole("button", { name: "Delete compute environment" })).toBeDisabled();
    await shot(page, "compute-env-delete-blocked");
    await confirm.getByRole("button", { name: "Cancel" }).click();

    // Nor will the API.
    const refused = await page.request.post("/api/trpc/computeEnvs.delete", {
      data: { json: { workspaceId, computeEnvId: ce.id } },
    });
    expect(refused.status()).toBe(409);
    expect(await refused.text()).toContain("computeEnvId: 1 run uses this compute environment");
    // Removed behind Lockstep's back (a database restore, a manual DELETE): the run is then lost.
    // Its cleanup still knows where the store is (recorded at provision), so here the store is
    // made unreachable too (a record no provider accepts): a failure that must be shown, not hidden.
    const sql = postgres(databaseUrl(), { max: 1, onnotice: () => {} });
    try {
      await sql`update runs set cleanup_target = jsonb_set(cleanup_target, '{runsDir}', '"relative/runs"') where id = ${run.id}`;
      await sql`delete from compute_envs where id = ${ce.id}`;
    } finally {
      await sql.end();
    }
    await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Runs" }).click();
    const banner = page.getByRole("alert").filter({ hasText: "could not be deleted" });
    await expect(banner).toContainText("The secrets of 1 finished run could not be deleted.", { timeout: 90_000 });
    const row = page.getByRole("table", { name: "Runs" }).locator(`tr[data-run-id="${run.id}"]`);
    await expect(row.locator("[data-secrets-state]")).toHaveAttribute("data-secrets-state", "CLEANUP_FAILED");
    await expect(row).toContainText("Lost");
    await shot(page, "runs-cleanup-failed");

    await row.getByRole("link", { name: "Sleeps" }).click();
    const deleted = page.getByRole("list", { name: "Timeline" }).locator('[data-step="deleted"]');
    await expect(deleted).toHaveAttribute("data-state", "failed");
    await expect(deleted.getByRole("alert")).toContainText(
      /Cleanup failed after 1 attempt: .*runsDir must be an absolute path/,
    );
    await shot(page, "run-cleanup-failed");
  } finally {
    // The test left real secret values on disk by design; do not keep them.
    rmSync(join(runDir, "secrets"), { recursive: true, force: true });
  }
});
