import { readFileSync } from "node:fs";
import { expect, test, type Page } from "@playwright/test";
import { importPublicKey, seal } from "@lockstep/crypto";
import { mutate, type TUser, shot, signUp } from "../support/app";

const run = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const alice: TUser = {
  name: "Alice Keeper",
  email: `alice-secrets-${run}@example.org`,
  password: "correct horse battery",
};
const victor: TUser = {
  name: "Victor Viewer",
  email: `victor-secrets-${run}@example.org`,
  password: "staple battery horse",
};

// Values that must never come back: not on a page, not in a request (the browser seals them),
// not in a response, not in the CSV export.
const values = {
  dbPassword: `pw-${run}-first`,
  dbPasswordNew: `pw-${run}-second`,
  certLine: `CERT-${run}-LINE`,
  apiToken: `tok-${run}-api`,
  bucketKey: `bucket-${run}-key`,
  region: `region-${run}`,
  fileBody: `file-${run}-contents`,
  userToken: `mine-${run}-token`,
  lateKey: `late-${run}-key`,
};
const allValues = Object.values(values);

/** Records every tRPC request body and response text the page exchanges. */
function recordTraffic(page: Page, into: string[]) {
  page.on("request", (r) => {
    if (r.url().includes("/api/")) into.push(r.postData() ?? "");
  });
  page.on("response", (r) => {
    if (r.url().includes("/api/"))
      r.text().then(
        (t) => into.push(t),
        () => {},
      );
  });
}

async function expectNoValueOnPage(page: Page) {
  const html = await page.content();
  for (const v of allValues) expect(html, "a secret value appeared on the page").not.toContain(v);
}

// Pages full length; dialogs as seen in the window (a modal covers the window, not the document).

test("workspace secrets: add, overwrite, base64, import, delete, activity and CSV; viewers read only; user secrets", async ({
  page,
  browser,
  baseURL,
}) => {
  test.setTimeout(300_000);
  const traffic: string[] = [];
  recordTraffic(page, traffic);
  const orgName = `Secrets Org ${run}`;
  const wsName = `Pipelines ${run}`;

  await signUp(page, alice);
  await page.getByLabel("Organization name").fill(orgName);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(/\/orgs\/[0-9a-f-]{36}$/);
  await page.getByLabel("Workspace name").fill(wsName);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}$/);
  const workspaceUrl = page.url();

  const sections = page.getByRole("navigation", { name: "Workspace sections" });
  await sections.getByRole("link", { name: "Secrets", exact: true }).click();
  await expect(page).toHaveURL(/\?tab=secrets$/);
  await expect(page.getByText("No secrets yet")).toBeVisible();
  await expect(page.getByText("secret 'NAME'")).toBeVisible();
  await shot(page, "secrets-empty");

  // ── Add DB_PASSWORD, with the name rule checked as it is typed ──────────────────────────────
  await page.getByRole("button", { name: "Add secret" }).click();
  const add = page.getByRole("dialog", { name: "Add secret" });
  await expect(add).toHaveAttribute("aria-modal", "true");
  const nameField = add.getByLabel("Name", { exact: true });
  await expect(nameField).toBeFocused();
  await nameField.fill("db-password");
  await expect(add.getByText("may contain only letters, digits and single underscores")).toBeVisible();
  await expect(nameField).toHaveAttribute("aria-invalid", "true");
  await shot(page, "dialog-add-bad-name", false);
  await nameField.fill("DB_PASSWORD");
  await expect(add.getByText("✓ Available")).toBeVisible();
  await add.getByLabel("Value", { exact: true }).fill(values.dbPassword);
  await expect(add.getByText(`${values.dbPassword.length} / 65,536 bytes`)).toBeVisible();
  await shot(page, "dialog-add", false);
  await add.getByRole("button", { name: "Save secret" }).click();
  await expect(add).toHaveCount(0);

  const table = page.getByRole("table", { name: "Secrets" });
  const dbRow = table.getByRole("row", { name: /DB_PASSWORD/ });
  await expect(dbRow).toBeVisible();
  await expect(dbRow).toContainText(alice.name);
  await expect(dbRow).toContainText("Never used");
  await expectNoValueOnPage(page);

  // The name is taken now, and the dialog says so before saving; Escape closes it.
  await page.getByRole("button", { name: "Add secret" }).click();
  await add.getByLabel("Name", { exact: true }).fill("DB_PASSWORD");
  await expect(add.getByText("A secret named DB_PASSWORD already exists in this workspace.")).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(add).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Add secret" })).toBeFocused();

  // ── Overwrite ────────────────────────────────────────────────────────────────────────────────
  await dbRow.getByRole("button", { name: "Overwrite DB_PASSWORD" }).click();
  const overwrite = page.getByRole("dialog", { name: "Overwrite DB_PASSWORD" });
  await expect(overwrite).toContainText("The current value cannot be shown");
  await expect(overwrite.getByLabel("New value", { exact: true })).toBeFocused();
  await expect(overwrite.getByLabel("New value", { exact: true })).toHaveValue("");
  await overwrite.getByLabel("New value", { exact: true }).fill(values.dbPasswordNew);
  await shot(page, "dialog-overwrite", false);
  await overwrite.getByRole("button", { name: "Save new value" }).click();
  await expect(overwrite).toHaveCount(0);
  await expect(page.getByRole("status")).toContainText("Saved a new value for DB_PASSWORD.");

  // ── A multi-line value is refused as such, with base64 offered; encoded, it saves ───────────
  await page.getByRole("button", { name: "Add secret" }).click();
  await add.getByLabel("Name", { exact: true }).fill("TLS_CERT");
  await add
    .getByLabel("Value", { exact: true })
    .fill(`-----BEGIN CERTIFICATE-----\n${values.certLine}\n-----END CERTIFICATE-----`);
  await expect(add.getByText("Encode it as base64")).toBeVisible();
  await expect(add.getByText(/line break, which Nextflow cannot deliver intact/)).toBeVisible();
  await shot(page, "dialog-add-multiline", false);
  await add.getByRole("button", { name: "Save secret" }).click();
  await expect(add).toBeVisible();
  await add.getByLabel("Encode as base64").check();
  await expect(add.getByText(/line break, which Nextflow cannot deliver intact/)).toHaveCount(0);
  await expect(add.getByText(/bytes → \d+ as base64/)).toBeVisible();
  await add.getByRole("button", { name: "Save secret" }).click();
  await expect(add).toHaveCount(0);
  await expect(table.getByRole("row", { name: /TLS_CERT/ })).toBeVisible();

  // ── A file is read in the browser and stored base64-encoded ─────────────────────────────────
  await page.getByRole("button", { name: "Add secret" }).click();
  await add.getByLabel("Name", { exact: true }).fill("SERVICE_KEY");
  await add.getByLabel("Upload a file").setInputFiles({
    name: "service-key.json",
    mimeType: "application/json",
    buffer: Buffer.from(`{"key":"${values.fileBody}"}\n`),
  });
  await expect(add.getByText("service-key.json")).toBeVisible();
  await expect(add.getByText(/\d+ bytes · stored base64-encoded/)).toBeVisible();
  await shot(page, "dialog-add-file", false);
  await add.getByRole("button", { name: "Save secret" }).click();
  await expect(add).toHaveCount(0);
  await expect(table.getByRole("row", { name: /SERVICE_KEY/ })).toBeVisible();

  // ── Import a .env: a bad line blocks the import and says why; fixed, all three go in ───────
  await page.getByRole("button", { name: "Import .env" }).click();
  const importDialog = page.getByRole("dialog", { name: "Import .env" });
  const envText = importDialog.getByLabel(".env contents");
  await expect(envText).toBeFocused();
  await envText.fill(`API_TOKEN=${values.apiToken}\nbucket-key=${values.bucketKey}\nREGION="${values.region}"`);
  const preview = importDialog.getByRole("table", { name: "Import preview" });
  await expect(preview.getByRole("row", { name: /^2 bucket-key/ })).toContainText(
    "name may contain only letters, digits and single underscores",
  );
  await expect(preview.getByRole("row", { name: /^1 API_TOKEN/ })).toContainText("new");
  // One count everywhere: the summary and the button agree (2 ready + 1 to fix = 3 lines).
  await expect(importDialog.getByText("2 secrets ready, 1 line to fix before importing.")).toBeVisible();
  await expect(importDialog.getByRole("button", { name: "Fix 1 line to import" })).toBeDisabled();
  await expectNoValueInPreview();
  await shot(page, "dialog-import-error", false);
  await envText.fill(`API_TOKEN=${values.apiToken}\nBUCKET_KEY=${values.bucketKey}\nREGION="${values.region}"`);
  await expect(importDialog.getByRole("button", { name: "Import 3 secrets" })).toBeEnabled();
  await shot(page, "dialog-import-ready", false);
  await importDialog.getByRole("button", { name: "Import 3 secrets" }).click();
  await expect(importDialog).toHaveCount(0);
  await expect(page.getByRole("status")).toContainText("Imported 3 secrets (3 new).");
  for (const name of ["API_TOKEN", "BUCKET_KEY", "REGION"])
    await expect(table.getByRole("row", { name: new RegExp(name) })).toBeVisible();

  // Importing one of them again is flagged before sending, until "Overwrite existing" is ticked.
  await page.getByRole("button", { name: "Import .env" }).click();
  await envText.fill(`REGION=${values.region}`);
  await expect(preview).toContainText("REGION already exists");
  await expect(importDialog.getByRole("button", { name: "Fix 1 line to import" })).toBeDisabled();
  await importDialog.getByLabel("Overwrite existing").check();
  await expect(preview).toContainText("overwrites the existing value");
  await importDialog.getByRole("button", { name: "Import 1 secret" }).click();
  await expect(page.getByRole("status")).toContainText("Imported 1 secret (1 overwritten).");

  // The server has the last word: a name someone else created meanwhile comes back as that line's error.
  await page.getByRole("button", { name: "Import .env" }).click();
  await envText.fill(`LATE_KEY=${values.lateKey}`);
  await expect(preview.getByRole("row", { name: /^1 LATE_KEY/ })).toContainText("new");
  const workspaceId = new URL(workspaceUrl).pathname.split("/").at(-1)!;
  const meanwhile = await page.request.post("/api/trpc/secrets.create", {
    data: { json: { workspaceId, name: "LATE_KEY", value: { plain: `meanwhile-${run}` } } },
  });
  expect(meanwhile.status()).toBe(200);
  await importDialog.getByRole("button", { name: "Import 1 secret" }).click();
  await expect(importDialog.getByText("The server refused the import; nothing was written.")).toBeVisible();
  await expect(preview.getByRole("row", { name: /^1 LATE_KEY/ })).toContainText("LATE_KEY already exists");
  await expect(importDialog.getByRole("button", { name: "Fix 1 line to import" })).toBeDisabled();
  await shot(page, "dialog-import-server-error", false);
  await importDialog.getByLabel("Overwrite existing").check();
  await importDialog.getByRole("button", { name: "Import 1 secret" }).click();
  await expect(importDialog).toHaveCount(0);
  await expect(page.getByRole("status")).toContainText("Imported 1 secret (1 overwritten).");

  // ── Search ──────────────────────────────────────────────────────────────────────────────────
  await page.getByLabel("Search secrets by name").fill("api");
  await expect(table.getByRole("row")).toHaveCount(2);
  await expect(table.getByRole("row", { name: /API_TOKEN/ })).toBeVisible();
  await page.getByLabel("Search secrets by name").fill("");
  await expect(table.getByRole("row")).toHaveCount(8);
  await shot(page, "secrets-list");

  // ── Delete, after a confirmation that starts on Cancel ──────────────────────────────────────
  await table.getByRole("button", { name: "Delete REGION" }).click();
  const del = page.getByRole("dialog", { name: "Delete REGION" });
  await expect(del.getByRole("button", { name: "Cancel" })).toBeFocused();
  await expect(del).toContainText("cannot be recovered");
  await page.keyboard.press("Shift+Tab");
  await page.keyboard.press("Shift+Tab");
  await expect(del.locator(":focus"), "Tab stays inside the dialog").toHaveCount(1);
  await shot(page, "dialog-delete", false);
  await del.getByRole("button", { name: "Delete secret" }).click();
  await expect(del).toHaveCount(0);
  await expect(table.getByRole("row", { name: /REGION/ })).toHaveCount(0);
  await page.reload();
  await expect(table.getByRole("row", { name: /DB_PASSWORD/ })).toBeVisible();
  await expectNoValueOnPage(page);

  // ── Activity and the CSV export ─────────────────────────────────────────────────────────────
  await sections.getByRole("link", { name: "Activity" }).click();
  await expect(page).toHaveURL(/\?tab=activity$/);
  const activity = page.getByRole("table", { name: "Activity" });
  await expect(
    activity.getByRole("row").filter({ hasText: "Secret created" }).filter({ hasText: "DB_PASSWORD" }),
  ).toHaveCount(1);
  await expect(
    activity.getByRole("row").filter({ hasText: "Secret overwritten" }).filter({ hasText: "DB_PASSWORD" }),
  ).toHaveCount(1);
  await expect(
    activity.getByRole("row").filter({ hasText: "Secret deleted" }).filter({ hasText: "REGION" }),
  ).toHaveCount(1);
  await expect(activity.getByRole("row").filter({ hasText: "3 secrets: API_TOKEN, BUCKET_KEY, REGION" })).toContainText(
    "Secrets imported",
  );
  await expect(activity).toContainText(alice.email);
  await expect(activity).toContainText("Chrome");
  await shot(page, "activity");
  await page.getByLabel("Action").selectOption("secret.deleted");
  await expect(activity.getByRole("row")).toHaveCount(2);
  await page.getByLabel("Action").selectOption("");
  await expect(activity.getByRole("row").filter({ hasText: "Secret overwritten" }).first()).toBeVisible();

  const downloading = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export CSV" }).click();
  const download = await downloading;
  expect(download.suggestedFilename()).toMatch(/^lockstep-audit-.*\.csv$/);
  const csv = readFileSync((await download.path())!, "utf8");
  const lines = csv.trimEnd().split("\r\n");
  expect(lines[0]).toBe("time,actor_email,action,target_type,target_name,run_id,ip,user_agent,detail");
  const has = (action: string, target: string) =>
    lines.some((l) => l.includes(`,${action},workspace-secret,${target},`));
  expect(has("secret.created", "DB_PASSWORD")).toBe(true);
  expect(has("secret.overwritten", "DB_PASSWORD")).toBe(true);
  expect(has("secret.deleted", "REGION")).toBe(true);
  expect(has("secret.created", "API_TOKEN")).toBe(true);
  expect(
    lines.some(
      (l) =>
        l.includes(",secrets.imported,workspace-secret,,") &&
        l.includes('""names"":[""API_TOKEN"",""BUCKET_KEY"",""REGION""]'),
    ),
  ).toBe(true);
  for (const v of allValues) expect(csv).not.toContain(v);

  // "Load more" pages through with the cursor: 30 more secrets make 31 more events than one page holds.
  await sections.getByRole("link", { name: "Secrets", exact: true }).click();
  await page.getByRole("button", { name: "Import .env" }).click();
  await envText.fill(Array.from({ length: 30 }, (_, i) => `BULK_${i + 1}=bulk-value-${i + 1}`).join("\n"));
  await importDialog.getByRole("button", { name: "Import 30 secrets" }).click();
  await expect(page.getByRole("status")).toContainText("Imported 30 secrets (30 new).");
  await sections.getByRole("link", { name: "Activity" }).click();
  await expect(activity.getByRole("row")).toHaveCount(26);
  await page.getByRole("button", { name: "Load more" }).click();
  await expect(activity.getByRole("row")).toHaveCount(46);
  await expect(page.getByText("45 events shown — that is all")).toBeVisible();
  await expect(page.getByRole("button", { name: "Load more" })).toHaveCount(0);
  await expect(activity.getByRole("row").last()).toContainText("DB_PASSWORD");

  // Without a session the export is refused.
  const anonymousContext = await browser.newContext({ baseURL });
  expect((await anonymousContext.request.get(`/api/audit/export?workspaceId=${workspaceId}`)).status()).toBe(401);
  await anonymousContext.close();

  // ── A `view` participant sees the list and nothing to change ────────────────────────────────
  const victorContext = await browser.newContext({ baseURL });
  const vpage = await victorContext.newPage();
  recordTraffic(vpage, traffic);
  await signUp(vpage, victor);
  await sections.getByRole("link", { name: "Participants" }).click();
  await page.getByLabel("Email", { exact: true }).fill(victor.email);
  await page.getByLabel("Role", { exact: true }).selectOption("view");
  await page.getByRole("button", { name: "Invite participant" }).click();
  await expect(page.getByText(`Invited ${victor.email} as view. They participate once they accept.`)).toBeVisible();
  await vpage.goto("/dashboard");
  await vpage
    .getByRole("list", { name: "Invitations" })
    .getByRole("button", { name: /^Accept the invitation to / })
    .click();
  await expect(vpage.getByText(/^You joined .* as view\.$/)).toBeVisible();

  await vpage.goto(`${workspaceUrl}?tab=secrets`);
  const vtable = vpage.getByRole("table", { name: "Secrets" });
  await expect(vtable.getByRole("row", { name: /DB_PASSWORD/ })).toBeVisible();
  await expect(vpage.getByText("Only owners, admins and maintainers change them.")).toBeVisible();
  await expect(vpage.getByRole("button", { name: "Add secret" })).toHaveCount(0);
  await expect(vpage.getByRole("button", { name: "Import .env" })).toHaveCount(0);
  await expect(vpage.getByRole("button", { name: /^Overwrite / })).toHaveCount(0);
  await expect(vpage.getByRole("button", { name: /^Delete / })).toHaveCount(0);
  await expect(
    vpage.getByRole("navigation", { name: "Workspace sections" }).getByRole("link", { name: "Activity" }),
  ).toHaveCount(0);
  await shot(vpage, "secrets-view-role");
  await vpage.goto(`${workspaceUrl}?tab=activity`);
  await expect(vpage.getByRole("heading", { name: "Your role: view" })).toBeVisible();
  await expect(vpage.getByRole("table", { name: "Activity" })).toHaveCount(0);
  expect((await vpage.request.get(`/api/audit/export?workspaceId=${workspaceId}`)).status()).toBe(403);

  // ── The personal workspace: no secrets for its runs, and where to go instead ────────────────
  await vpage.goto("/dashboard");
  await vpage.getByRole("link", { name: /Personal workspace/ }).click();
  await vpage
    .getByRole("navigation", { name: "Workspace sections" })
    .getByRole("link", { name: "Secrets", exact: true })
    .click();
  await expect(vpage.getByText("Runs launched from a personal workspace get no secrets.")).toBeVisible();
  await expect(vpage.getByRole("button", { name: "Add secret" })).toHaveCount(0);
  await shot(vpage, "secrets-personal-workspace");
  await vpage.getByRole("note").getByRole("link", { name: "Your secrets" }).click();

  // ── Your secrets ────────────────────────────────────────────────────────────────────────────
  await expect(vpage).toHaveURL(/\/settings\/secrets$/);
  await expect(vpage.getByRole("heading", { level: 1, name: "Your secrets" })).toBeVisible();
  await expect(vpage.getByText(/a user secret overrides a workspace secret of the same name/)).toBeVisible();
  await expect(vpage.getByText("Nobody else can see them")).toBeVisible();
  await expect(vpage.getByText("No user secrets yet")).toBeVisible();
  await expect(vpage.getByText("No activity yet")).toBeVisible();
  await vpage.getByRole("button", { name: "Add secret" }).click();
  const vadd = vpage.getByRole("dialog", { name: "Add secret" });
  await vadd.getByLabel("Name", { exact: true }).fill("DB_PASSWORD");
  await expect(vadd.getByText("✓ Available")).toBeVisible();
  await vadd.getByLabel("Value", { exact: true }).fill(values.userToken);
  await vadd.getByRole("button", { name: "Save secret" }).click();
  await expect(vadd).toHaveCount(0);
  const mine = vpage.getByRole("table", { name: "User secrets" });
  await expect(mine.getByRole("row", { name: /DB_PASSWORD/ })).toBeVisible();
  await expect(
    vpage.getByRole("table", { name: "Activity" }).getByRole("row").filter({ hasText: "Secret created" }),
  ).toContainText("DB_PASSWORD");
  await expect(mine.getByRole("button", { name: "Overwrite DB_PASSWORD" })).toBeVisible();
  await expectNoValueOnPage(vpage);
  await shot(vpage, "your-secrets");

  // The user menu leads there too.
  await vpage.goto("/dashboard");
  await vpage.getByRole("button", { name: "User menu" }).click();
  await vpage.getByRole("menuitem", { name: "Your secrets" }).click();
  await expect(vpage).toHaveURL(/\/settings\/secrets$/);

  // Alice does not see Victor's user secret among hers.
  await page.goto("/settings/secrets");
  await expect(page.getByText("No user secrets yet")).toBeVisible();

  // Every value travelled sealed: no request or response carried one in plain text.
  await page.waitForTimeout(500);
  for (const v of allValues)
    expect(
      traffic.some((t) => t.includes(v)),
      `value ${v.slice(0, 6)}… crossed the network in plain text`,
    ).toBe(false);
  expect(traffic.some((t) => t.includes('"sealed":"lsv1.'))).toBe(true);
  await victorContext.close();

  async function expectNoValueInPreview() {
    const text = await preview.innerText();
    for (const v of allValues) expect(text).not.toContain(v);
  }
});

test("a value sealed by another client that breaks a value rule is marked with the rule in the secrets table", async ({
  page,
}) => {
  test.setTimeout(120_000);
  const carol: TUser = {
    name: "Carol Client",
    email: `carol-secrets-${run}@example.org`,
    password: "battery staple correct",
  };
  const marker = `MARK${run.replace(/-/g, "")}`;
  await signUp(page, carol);
  // An API client that seals values itself (as the browser does): the server never sees them, so it cannot check them.
  const query = async <T>(path: string) =>
    ((await (await page.request.get(`/api/trpc/${path}`)).json()) as { result: { data: { json: T } } }).result.data
      .json;
  const spec = await query<{ kid: string; publicKey: string }>("secrets.publicKey");
  const me = await query<{ id: string }>("me.get");
  const key = await importPublicKey(spec.kid, spec.publicKey);
  const sealFor = (name: string, value: string) => seal(key, value, { scope: "user", ownerId: me.id, name });
  await mutate(page, "userSecrets.create", {
    name: "BAD_TOKEN",
    value: { sealed: await sealFor("BAD_TOKEN", `a"; echo ${marker} \`id\`; : "`) },
  });
  await mutate(page, "userSecrets.create", {
    name: "GOOD_TOKEN",
    value: { sealed: await sealFor("GOOD_TOKEN", `good-${marker}`) },
  });

  await page.goto("/settings/secrets");
  const table = page.getByRole("table", { name: "User secrets" });
  const bad = table.getByRole("row", { name: /BAD_TOKEN/ });
  // The worker's check lands within seconds; the list looks again while a fresh value awaits it.
  await expect(bad).toContainText("Invalid value", { timeout: 30_000 });
  await expect(bad).toContainText(
    'Secret value contains a double quote ("), which Nextflow cannot deliver intact to a task',
  );
  await expect(bad).toContainText("Runs that use it are refused until it is overwritten.");
  // Positive control: the good value, once checked the same way, carries no mark.
  await expect
    .poll(
      async () =>
        (await query<Array<{ name: string; valueCheckedAt: string | null }>>("userSecrets.list")).find(
          (s) => s.name === "GOOD_TOKEN",
        )?.valueCheckedAt ?? null,
      { timeout: 30_000 },
    )
    .not.toBeNull();
  await page.reload();
  await expect(table.getByRole("row", { name: /BAD_TOKEN/ })).toContainText("Invalid value");
  await expect(table.getByRole("row", { name: /GOOD_TOKEN/ })).toBeVisible();
  await expect(table.getByRole("row", { name: /GOOD_TOKEN/ })).not.toContainText("Invalid value");
  expect(await page.content()).not.toContain(marker);
  await shot(page, "secret-invalid-value");
});
