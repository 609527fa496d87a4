import { expect, test, type Page, type Request } from "@playwright/test";
import { type TUser, mutate, shot, signUp } from "../support/app";

// Cloud credentials are write-only: the browser seals them, the server stores the sealed form,
// and the page never shows them again. Setup (organization, workspace) uses the API with the
// page's session; everything else goes through the UI.

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const rand = () => Math.random().toString(36).slice(2);
/** A secret access key that is easy to look for: MARKERsecret… padded to AWS's 40 characters. */
const marker = (prefix: string) => `${prefix}${rand()}${rand()}${rand()}`.slice(0, 40).padEnd(40, "x");
const accessKeyId = (`AKIA${rand()}${rand()}`.toUpperCase().replace(/[^A-Z0-9]/g, "") + "0000000000000000").slice(
  0,
  20,
);

/** A tRPC mutation over HTTP with the browser's session cookie. */

/** Records the URL and body of every request the page sends until `stop()`. */
function recordRequests(page: Page) {
  const seen: string[] = [];
  const onRequest = (r: Request) => seen.push(`${r.method()} ${r.url()}\n${r.postData() ?? ""}`);
  page.on("request", onRequest);
  return {
    stop: () => {
      page.off("request", onRequest);
      return seen;
    },
  };
}

test("cloud credentials are added sealed, listed without their value, replaced and deleted", async ({ page }) => {
  const user: TUser = { name: "Cora Cloud", email: `cora-creds-${tag}@example.org`, password: "correct horse battery" };
  await signUp(page, user);
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Creds ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `Cloud ${tag}` });

  const first = marker("MARKERsecret");
  const second = marker("MARKERsecond");
  const name = "aws-prod";

  // ── Empty state, reached from the workspace's tab row ────────────────────────────────────────
  await page.goto(`/w/${ws.id}/pipelines`);
  await page.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Credentials" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${ws.id}/credentials$`));
  await expect(page.getByRole("heading", { level: 1, name: "Credentials" })).toBeVisible();
  await expect(page.getByText("No credentials yet")).toBeVisible();
  await expect(page.getByText(/write-only/).first()).toBeVisible();
  await expect(page.getByText(/only the worker that runs the pipelines can read them/)).toBeVisible();
  await shot(page, "credentials-empty");

  // ── Add AWS access keys; every request during the add carries only the sealed form ───────────
  const recorder = recordRequests(page);
  await page.getByRole("button", { name: "Add credentials" }).click();
  const dialog = page.getByRole("dialog", { name: "Add credentials" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  await expect(dialog.getByRole("radio", { name: "AWS", exact: true })).toBeChecked();
  await expect(dialog.getByRole("radio", { name: "Access key pair", exact: true })).toBeChecked();
  // Checked in the browser first: a malformed key id is refused without sending anything.
  await dialog.getByLabel("Access key ID", { exact: true }).fill("not-a-key");
  await dialog.getByLabel("Secret access key", { exact: true }).fill(first);
  await dialog.getByRole("button", { name: "Add credentials" }).click();
  await expect(
    dialog.getByText("The access key id starts with AKIA or ASIA, then upper-case letters and digits.", {
      exact: true,
    }),
  ).toBeVisible();
  await expect(dialog.getByLabel("Access key ID", { exact: true })).toHaveAttribute("aria-invalid", "true");
  await dialog.getByLabel("Access key ID", { exact: true }).fill(accessKeyId);
  await shot(page, "credentials-add-dialog");
  await dialog.getByRole("button", { name: "Add credentials" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText(`Added ${name}.`)).toBeVisible();
  const sent = recorder.stop();
  const create = sent.filter((r) => r.includes("credentials.create"));
  expect(create, "one credentials.create request").toHaveLength(1);
  expect(create[0]).toContain('"sealed"');
  expect(create[0]).not.toContain('"plain"');
  for (const r of sent) {
    expect(r, "the secret access key left the browser unsealed").not.toContain(first);
    expect(r, "the access key id left the browser unsealed").not.toContain(accessKeyId);
  }

  const table = page.getByRole("table", { name: "Credentials" });
  const row = table.getByRole("row", { name: new RegExp(name) });
  await expect(row).toContainText(name);
  await expect(row).toContainText("AWS");
  await expect(table.getByRole("row")).toHaveCount(2);
  expect(await page.content(), "the secret access key is on the page").not.toContain(first);
  await page.reload();
  await expect(row).toBeVisible();
  expect(await page.content(), "the secret access key is on the page").not.toContain(first);
  expect(await page.content(), "the access key id is on the page").not.toContain(accessKeyId);
  await shot(page, "credentials-list");

  // ── Replace: same fields, the old value is not shown ───────────────────────────────────────────
  const replaceRecorder = recordRequests(page);
  await row.getByRole("button", { name: `Replace ${name}` }).click();
  const replace = page.getByRole("dialog", { name: `Replace ${name}` });
  await expect(replace.getByText(/The current value cannot be shown/)).toBeVisible();
  await expect(replace.getByLabel("Access key ID", { exact: true })).toHaveValue("");
  await expect(replace.getByLabel("Secret access key", { exact: true })).toHaveValue("");
  await replace.getByLabel("Access key ID", { exact: true }).fill(accessKeyId);
  await replace.getByLabel("Secret access key", { exact: true }).fill(second);
  await shot(page, "credentials-replace-dialog");
  await replace.getByRole("button", { name: "Replace credentials" }).click();
  await expect(replace).toHaveCount(0);
  await expect(page.getByText(`Replaced ${name}.`)).toBeVisible();
  const replaced = replaceRecorder.stop();
  expect(replaced.filter((r) => r.includes("credentials.update"))).toHaveLength(1);
  for (const r of replaced) expect(r, "the new secret access key left the browser unsealed").not.toContain(second);
  await expect(table.getByRole("row")).toHaveCount(2);
  expect(await page.content()).not.toContain(second);

  // ── Delete, after confirming ─────────────────────────────────────────────────────────────────
  await row.getByRole("button", { name: `Delete ${name}` }).click();
  const confirm = page.getByRole("dialog", { name: `Delete ${name}` });
  await expect(confirm).toContainText("cannot be recovered");
  await confirm.getByRole("button", { name: "Delete credentials" }).click();
  await expect(confirm).toHaveCount(0);
  await expect(page.getByText(`Deleted ${name}.`)).toBeVisible();
  await expect(page.getByText("No credentials yet")).toBeVisible();
  await shot(page, "credentials-deleted");
});
