import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test, type Page } from "@playwright/test";
import { dataDir } from "../../playwright.config";
import { type TUser, mutate, shot, signUp } from "../support/app";

// Issue 16, part 5 and the CSV receipt, in the browser: a secret's versions and history, the run that
// last used it, the relaunch warning naming the secret that changed, "same value?" between two runs,
// and the receipt exported as CSV matching the JSON record.

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/pipelines");

async function query<T = unknown>(page: Page, path: string, input: unknown): Promise<T> {
  const response = await page.request.get(
    `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
  );
  const body = (await response.json()) as { result?: { data?: { json?: T } } };
  return body.result!.data!.json as T;
}

/** RFC 4180 reader for the exported file. */
function parseCsv(text: string): Array<Record<string, string>> {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  const [header, ...body] = rows;
  return body.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i] ?? ""])));
}

test("secret versions, history, last used by, the relaunch warning and the CSV receipt", async ({ page }) => {
  test.setTimeout(420_000);
  const user: TUser = {
    name: "Vera Versions",
    email: `vera-versions-${tag}@example.org`,
    password: "correct horse battery",
  };
  await signUp(page, user);
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Versions ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `Versions ${tag}` });
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
  const pipeline = await mutate<{ id: string }>(page, "pipelines.create", {
    workspaceId: ws.id,
    pipeline: { name: "Secrets hash", repository: join(fixtures, "secrets-hash"), defaultComputeEnvId: ce.id },
  });
  const dbSecret = await mutate<{ id: string }>(page, "secrets.create", {
    workspaceId: ws.id,
    name: "DB_PASSWORD",
    value: { plain: `db1-${tag}` },
  });
  const tokSecret = await mutate<{ id: string }>(page, "secrets.create", {
    workspaceId: ws.id,
    name: "API_TOKEN",
    value: { plain: `tok-${tag}` },
  });

  // The first run, with what the pipeline needs; its page shows the versions it got and the receipt.
  const first = await mutate<{ id: string }>(page, "runs.launch", { workspaceId: ws.id, pipelineId: pipeline.id });
  await page.goto(`/w/${ws.id}/runs/${first.id}`);
  await expect(page.getByTestId("deletion-receipt")).toContainText("Every copy verified gone", { timeout: 240_000 });
  const versions = page.getByRole("table", { name: "Secret versions the run received" });
  await expect(versions.getByRole("row", { name: /DB_PASSWORD/ })).toContainText("v1");
  await expect(versions.getByRole("row", { name: /DB_PASSWORD/ })).toContainText("unchanged");

  // The receipt as CSV: one row per copy, the same as the JSON record.
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const csvText = readFileSync(await (await download).path(), "utf8");
  const rows = parseCsv(csvText);
  const receipt = await query<{ copies: Array<{ location: string; writtenAt: string; goneAt: string | null }> }>(
    page,
    "runs.receipt",
    { workspaceId: ws.id, runId: first.id },
  );
  expect(rows.map((r) => [r.location, r.written_at, r.gone_at])).toEqual(
    receipt.copies.map((c) => [c.location, c.writtenAt, c.goneAt]),
  );
  expect(rows[0]!.location).toContain(`${first.id}/secrets/store.json`);
  expect(rows[0]!.deletion_verified).toBe("true");
  for (const v of [`db1-${tag}`, `tok-${tag}`]) expect(csvText).not.toContain(v);

  // A new value for DB_PASSWORD, the same value again for API_TOKEN: both are version 2.
  await mutate(page, "secrets.update", { workspaceId: ws.id, secretId: dbSecret.id, value: { plain: `db2-${tag}` } });
  await mutate(page, "secrets.update", { workspaceId: ws.id, secretId: tokSecret.id, value: { plain: `tok-${tag}` } });

  // The secrets list: version, history, and the run that last used each secret.
  await page.goto(`/w/${ws.id}?tab=secrets`);
  const dbRow = page.getByRole("row", { name: /DB_PASSWORD/ });
  await expect(dbRow.getByRole("link", { name: /last used by run/ })).toHaveAttribute(
    "href",
    `/w/${ws.id}/runs/${first.id}`,
  );
  await dbRow.getByRole("button", { name: "History of DB_PASSWORD (version 2)" }).click();
  const history = page.getByRole("list", { name: "Versions of DB_PASSWORD" });
  await expect(history.getByRole("listitem")).toHaveCount(2);
  await expect(history.getByRole("listitem").first()).toContainText("v2");
  await expect(history.getByRole("listitem").first()).toContainText(`Overwritten by ${user.name}`);
  await expect(history.getByRole("listitem").last()).toContainText(`Created by ${user.name}`);
  await shot(page, "secret-history");
  await page.getByRole("button", { name: "Close" }).first().click();

  // Relaunch: the form names both secrets as changed since the first run (by version).
  await page.goto(`/w/${ws.id}/runs/${first.id}`);
  await page.getByRole("link", { name: "Relaunch" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${ws.id}/launch\\?from=${first.id}$`));
  const warning = page.getByTestId("relaunch-warning");
  await expect(warning).toContainText("DB_PASSWORD (v1 → v2)");
  await expect(warning).toContainText("API_TOKEN (v1 → v2)");
  await shot(page, "relaunch-warning");
  await page.getByRole("button", { name: "Launch run" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${ws.id}/runs/[0-9a-f-]{36}$`));
  const secondId = page.url().split("/").at(-1)!;
  expect(secondId).not.toBe(first.id);

  // The second run against the first: DB_PASSWORD's value differs, API_TOKEN's is the same.
  await expect(page.getByTestId("deletion-receipt")).toContainText("Every copy verified gone", { timeout: 240_000 });
  await page.getByLabel("Compare with another run of this workspace (its id)").fill(first.id);
  const compared = page.getByRole("table", { name: "Secret versions the run received" });
  await expect(compared.getByRole("row", { name: /DB_PASSWORD/ })).toContainText("different");
  await expect(compared.getByRole("row", { name: /API_TOKEN/ })).toContainText("same");
  await shot(page, "run-secret-versions");
});
