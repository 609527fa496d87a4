import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test, type Page } from "@playwright/test";
import { dataDir } from "../../playwright.config";
import { type TUser, mutate, shot, signUp } from "../support/app";

// The launch form defaults to what the pipeline's sources ask for: the needs-config fixture declares
// DB_PASSWORD (a `secret` directive), AWS_KEY (only in nextflow.config) and SLACK_WEBHOOK (marked
// optional by a `// lockstep: optional` comment).

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/pipelines");

async function query<T = unknown>(page: Page, path: string, input: unknown): Promise<T> {
  const response = await page.request.get(
    `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
  );
  const body = (await response.json()) as { result?: { data?: { json?: T } } };
  return body.result!.data!.json as T;
}

test("the launch form preselects what the pipeline needs, says where each comes from, and names the missing ones", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const user: TUser = { name: "Nia Needs", email: `nia-needs-${tag}@example.org`, password: "correct horse battery" };
  await signUp(page, user);
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Needs ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `Needs ${tag}` });
  const ce = await mutate<{ id: string }>(page, "computeEnvs.create", {
    workspaceId: ws.id,
    computeEnv: {
      kind: "local",
      name: "Local",
      workDir: join(dataDir, "runs"),
      nextflowVersion: "24.10.8",
      env: {},
      maxRunSeconds: 3600,
      config: {},
    },
  });
  await mutate(page, "pipelines.create", {
    workspaceId: ws.id,
    pipeline: { name: "Needs config", repository: join(fixtures, "needs-config"), defaultComputeEnvId: ce.id },
  });
  await mutate(page, "secrets.create", { workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: `db-${tag}` } });
  await mutate(page, "secrets.create", { workspaceId: ws.id, name: "UNRELATED_WS", value: { plain: `other-${tag}` } });
  await mutate(page, "userSecrets.create", { name: "MY_UNRELATED", value: { plain: `mine-${tag}` } });

  // The pipeline page says what it needs.
  await page.goto(`/w/${ws.id}/pipelines`);
  const row = page.getByRole("table", { name: "Pipelines" }).getByRole("row", { name: /Needs config/ });
  await expect(row.getByTestId("secret-needs")).toHaveText(
    "needs DB_PASSWORD, SLACK_WEBHOOK (optional) (config: AWS_KEY)",
  );

  await page.goto(`/w/${ws.id}/launch`);
  await expect(page.getByLabel("What it needs")).toBeChecked();
  const needed = page.getByRole("table", { name: "Secrets the pipeline needs" });
  await expect(needed.getByRole("row")).toHaveCount(4);
  await expect(needed.getByRole("row", { name: /DB_PASSWORD/ })).toContainText("workspace");
  await expect(needed.getByRole("row", { name: /AWS_KEY/ })).toContainText("config");
  await expect(needed.getByRole("row", { name: /AWS_KEY/ })).toContainText("missing");
  await expect(needed.getByRole("row", { name: /SLACK_WEBHOOK/ })).toContainText("left out (optional)");
  await expect(needed).not.toContainText("UNRELATED");
  const missing = page.getByRole("alert").filter({ hasText: "Missing:" });
  await expect(missing).toContainText("Missing: AWS_KEY.");
  await expect(missing.getByRole("link", { name: "workspace's secrets" })).toHaveAttribute(
    "href",
    `/w/${ws.id}?tab=secrets`,
  );
  await expect(missing.getByRole("link", { name: "your secrets" })).toHaveAttribute("href", "/settings/secrets");
  await expect(page.getByRole("button", { name: "Launch run" })).toBeDisabled();
  await shot(page, "launch-needs-missing");

  // "All" and "Only these" are still there: All sends the unrelated workspace secret, never an unneeded personal one.
  await page.getByLabel("All", { exact: true }).check();
  const all = page.getByRole("table", { name: "Secrets this run gets" });
  await expect(all.getByRole("row", { name: /UNRELATED_WS/ })).toBeVisible();
  await expect(all).not.toContainText("MY_UNRELATED");
  await page.getByLabel("Only these").check();
  await expect(all.getByRole("checkbox", { name: "Send DB_PASSWORD" })).toBeChecked();
  await expect(all.getByRole("checkbox", { name: "Send UNRELATED_WS" })).not.toBeChecked();

  // A personal AWS_KEY fills the gap; it is named as yours.
  await mutate(page, "userSecrets.create", { name: "AWS_KEY", value: { plain: `aws-${tag}` } });
  await page.reload();
  await expect(page.getByLabel("What it needs")).toBeChecked();
  await expect(needed.getByRole("row", { name: /AWS_KEY/ })).toContainText("your secret");
  await expect(page.getByRole("alert").filter({ hasText: "Missing:" })).toHaveCount(0);
  await expect(page.getByText("2 secrets will be written")).toBeVisible();
  await shot(page, "launch-needs");
  await page.getByRole("button", { name: "Launch run" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${ws.id}/runs/[0-9a-f-]{36}$`));
  const runId = page.url().split("/").at(-1)!;
  const run = await query<{ secretNames: Array<{ name: string; source: string }> }>(page, "runs.get", {
    workspaceId: ws.id,
    runId,
  });
  expect(run.secretNames).toEqual([
    { name: "AWS_KEY", source: "user" },
    { name: "DB_PASSWORD", source: "workspace" },
  ]);

  // When the run ends, its page holds the deletion receipt: the store file written, verified gone, exportable as JSON.
  const receipt = page.getByTestId("deletion-receipt");
  await expect(receipt).toContainText("Every copy verified gone", { timeout: 180_000 });
  const copies = page.getByRole("table", { name: "Copies written for the run" });
  await expect(copies.getByRole("row")).toHaveCount(2);
  await expect(copies).toContainText(`${runId}/secrets/store.json`);
  await expect(copies).toContainText("list-after-delete");
  await shot(page, "run-receipt");
  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export JSON" }).click();
  const file = await (await download).path();
  const exported = JSON.parse(readFileSync(file, "utf8")) as {
    runId: string;
    copies: Array<{ location: string; goneAt: string | null }>;
    deletion: { verified: boolean };
  };
  expect(exported.runId).toBe(runId);
  expect(exported.deletion.verified).toBe(true);
  expect(exported.copies).toHaveLength(1);
  expect(exported.copies[0]!.goneAt).not.toBeNull();
  const text = readFileSync(file, "utf8");
  for (const v of [`db-${tag}`, `aws-${tag}`, `other-${tag}`, `mine-${tag}`]) expect(text).not.toContain(v);
});
