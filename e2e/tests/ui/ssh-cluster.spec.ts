import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, test } from "@playwright/test";
import { startSshd, type TStartedSshd } from "@lockstep/devstack";
import { slurmConf } from "../../playwright.config";
import { mutate } from "../support/app";

// Slurm over SSH through the pages: SSH credentials are write-only, the compute environment form
// refuses a head option outside Slurm's allowlist next to its field, and "Check" shows the login
// node's host key for a person to compare and trust. The login node is a real sshd (the devstack's,
// started here; needs root) on a loopback port.

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const isRoot = process.getuid?.() === 0;
let sshd: TStartedSshd | undefined;
let dir = "";

test.beforeAll(async () => {
  if (!isRoot) return;
  dir = mkdtempSync(join(tmpdir(), "lockstep-e2e-sshd-"));
  chmodSync(dir, 0o711);
  sshd = await startSshd(join(dir, "sshd"), {
    users: ["lockstep-ws-a"],
    ...(slurmConf ? { env: { SLURM_CONF: slurmConf } } : {}),
  });
});

test.afterAll(async () => {
  await sshd?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test("an SSH cluster is set up through the pages: write-only key, allowlisted head options, host key shown then trusted", async ({
  page,
}) => {
  test.skip(!isRoot, "the login node's accounts need root");
  test.setTimeout(180_000);
  const account = sshd!.accounts[0]!;
  const keyLine = account.privateKey.split("\n")[1]!;

  await page.goto("/sign-up");
  await page.getByLabel("Name", { exact: true }).fill("Hana HPC");
  await page.getByLabel("Email", { exact: true }).fill(`hana-ssh-${tag}@example.org`);
  await page.getByLabel("Password", { exact: true }).fill("correct horse battery");
  await page.getByRole("button", { name: "Create account" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Cluster ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `HPC ${tag}` });

  // ── SSH credentials: sealed in the browser, never shown again ─────────────────────────────────
  await page.goto(`/w/${ws.id}/credentials`);
  await page.getByRole("button", { name: "Add credentials" }).click();
  let dialog = page.getByRole("dialog", { name: "Add credentials" });
  await dialog.getByLabel("Name", { exact: true }).fill("cluster account");
  await dialog.getByRole("radio", { name: "SSH", exact: true }).check();
  await dialog.getByLabel("Cluster account", { exact: true }).fill(account.user);
  await dialog.getByLabel("Private key", { exact: true }).fill(account.privateKey);
  await dialog.getByRole("button", { name: "Add credentials" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("row", { name: /cluster account/ })).toContainText("SSH (cluster account)");
  expect(await page.content()).not.toContain(keyLine);

  // ── The compute environment: a head option outside the allowlist is refused on its field ──────
  await page.goto(`/w/${ws.id}/compute-envs`);
  await page.getByRole("button", { name: "New compute environment" }).click();
  dialog = page.getByRole("dialog", { name: "New compute environment" });
  await dialog.getByRole("radio", { name: "Slurm over SSH", exact: true }).check();
  await dialog.getByLabel("Name", { exact: true }).fill("Cluster");
  await dialog.getByLabel("Work directory", { exact: true }).fill(join(account.home, "lockstep", "work"));
  await dialog.getByLabel("Login node", { exact: true }).fill(sshd!.host);
  await dialog.getByLabel("Port", { exact: true }).fill(String(sshd!.port));
  await dialog.getByLabel("Launch directory", { exact: true }).fill(join(account.home, "lockstep", "runs"));
  await dialog.getByLabel("Partition (optional)", { exact: true }).fill("debug");
  await dialog.getByLabel("Head-job options (optional)", { exact: true }).fill("--time=30\n--wrap=id");
  await dialog.getByRole("button", { name: "Create compute environment" }).click();
  await expect(dialog.getByLabel("Head-job options (optional)", { exact: true })).toHaveAccessibleDescription(/--wrap/);
  await dialog.getByLabel("Head-job options (optional)", { exact: true }).fill("--time=30");
  await dialog.getByRole("button", { name: "Create compute environment" }).click();
  await expect(dialog).toHaveCount(0);
  const row = page.getByRole("row", { name: /Cluster/ });
  await expect(row).toContainText("Slurm over SSH");
  await expect(row).toContainText("host key not confirmed");

  // ── Check: the host key, for a person to compare, then trust ──────────────────────────────────
  await row.getByRole("button", { name: "Check connection Cluster" }).click();
  await row.getByRole("button", { name: "Review host key of Cluster" }).click({ timeout: 60_000 });
  dialog = page.getByRole("dialog", { name: "Host key of Cluster" });
  await expect(dialog.getByLabel("Host key fingerprint")).toHaveText(sshd!.hostKeySha256());
  await dialog.getByRole("button", { name: "Trust this host key" }).click();
  await expect(dialog).toHaveCount(0);
  await expect(row).toContainText("host key confirmed");
  await expect(row.getByRole("button", { name: "Review host key of Cluster" })).toHaveCount(0);
  // The confirmed key is the one the login node presents: the next check logs in (it answers either way; with the e2e Slurm it is reachable).
  await expect(row.getByText(/Reachable|Check failed/)).toBeVisible({ timeout: 60_000 });
  if (slurmConf) await expect(row).toContainText("Reachable");
  expect(await page.content()).not.toContain(keyLine);
});
