import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { expect, test, type Page } from "@playwright/test";
import { dataDir, slurmConf } from "../../playwright.config";
import { grantInstanceAdmin } from "../support/admin";
import { mutate, signUp } from "../support/app";

// More real runs through the UI: on Slurm, a failing pipeline, a personal workspace, and a
// worker killed with SIGKILL mid-run. Setup (org, workspace, secrets, environments, pipelines)
// uses the API with the page's session; launching and watching go through the pages.

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), "../../fixtures/pipelines");
const runsDir = join(dataDir, "runs-resilience");
const sha256 = (text: string) => createHash("sha256").update(text, "utf8").digest("hex");
const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED", "LOST"];

async function query<T = unknown>(page: Page, path: string, input: unknown): Promise<T> {
  const response = await page.request.get(
    `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
  );
  const body = (await response.json()) as { result?: { data?: { json?: T } } };
  return body.result!.data!.json as T;
}

async function signUpWithWorkspace(page: Page, who: string) {
  await signUp(page, {
    name: `${who} Resilient`,
    email: `${who.toLowerCase()}-res-${tag}@example.org`,
    password: "correct horse battery",
  });
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Res ${who} ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `Res ${who}` });
  const values = { db: `db-${who}-${tag}`, token: `tok-${who}-${tag}` };
  await mutate(page, "secrets.create", { workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: values.db } });
  await mutate(page, "secrets.create", { workspaceId: ws.id, name: "API_TOKEN", value: { plain: values.token } });
  return { workspaceId: ws.id, values };
}

async function pipelineOn(
  page: Page,
  workspaceId: string,
  fixture: string,
  computeEnv: Record<string, unknown>,
  params: Record<string, number> = {},
) {
  const ce = await mutate<{ id: string }>(page, "computeEnvs.create", { workspaceId, computeEnv });
  return mutate<{ id: string }>(page, "pipelines.create", {
    workspaceId,
    pipeline: {
      name: `${fixture}-${String(computeEnv.kind)}`,
      repository: join(fixtures, fixture),
      defaultParams: params,
      defaultComputeEnvId: ce.id,
    },
  });
}

/** Launches from the launch page; resolves the run id from the run page's URL. */
async function launchFromUi(page: Page, workspaceId: string, pipelineId: string) {
  await page.goto(`/w/${workspaceId}/launch?pipelineId=${pipelineId}`);
  await page.getByRole("button", { name: "Launch run" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/runs/[0-9a-f-]{36}$`));
  return page.url().split("/").at(-1)!;
}

async function waitForStatus(page: Page, statuses: string[], timeoutMs: number) {
  const badge = page.getByTestId("run-header").locator("[data-status]");
  await expect
    .poll(async () => badge.getAttribute("data-status").catch(() => null), { timeout: timeoutMs, intervals: [250] })
    .toMatch(new RegExp(`^(${statuses.join("|")})$`));
  return badge.getAttribute("data-status");
}

async function expectSecretsDeleted(page: Page, runDir: string) {
  await expect(page.getByRole("list", { name: "Timeline" }).locator('[data-step="deleted"]')).toHaveAttribute(
    "data-state",
    "done",
    { timeout: 90_000 },
  );
  const leftovers = existsSync(runDir)
    ? walk(runDir).filter((p) => p.endsWith("/store.json") || /\/\.nf-[^/]*\.secrets$/.test(p))
    : [];
  expect(leftovers).toEqual([]);
  expect(existsSync(join(runDir, "secrets"))).toBe(false);
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name)],
  );
}

const local = {
  kind: "local",
  name: "Local",
  workDir: runsDir,
  nextflowVersion: "24.10.8",
  env: {},
  maxRunSeconds: 3600,
  config: {},
};

test("on a real Slurm: the head job gets the secrets through sbatch and leaves none behind", async ({ page }) => {
  test.setTimeout(300_000);
  // npm test starts a private single-node Slurm and gives the app its SLURM_CONF.
  expect(slurmConf, "the end-to-end tests need Slurm: run them with npm test as root").toBeTruthy();
  const { workspaceId, values } = await signUpWithWorkspace(page, "Slurm");
  const userToken = `tok-mine-${tag}`;
  await mutate(page, "userSecrets.create", { name: "API_TOKEN", value: { plain: userToken } });
  const pipeline = await pipelineOn(page, workspaceId, "secrets-hash", {
    ...local,
    kind: "slurm",
    name: "Slurm",
    config: { partition: "debug", sbatchOptions: ["--time=10"] },
  });
  const runId = await launchFromUi(page, workspaceId, pipeline.id);
  expect(await waitForStatus(page, TERMINAL, 180_000)).toBe("SUCCEEDED");
  const runDir = join(runsDir, runId);
  expect(readdirSync(runDir).some((f) => /^slurm-\d+\.out$/.test(f))).toBe(true);
  expect(readFileSync(join(runDir, "results", "db_password.sha256"), "utf8").trim()).toBe(sha256(values.db));
  // The launcher's own API_TOKEN wins over the workspace's.
  expect(readFileSync(join(runDir, "results", "api_token.sha256"), "utf8").trim()).toBe(sha256(userToken));
  expect(sha256(userToken)).not.toBe(sha256(values.token));
  await expectSecretsDeleted(page, runDir);
});

test("a failing pipeline ends FAILED on the run page with its secrets deleted", async ({ page }) => {
  test.setTimeout(300_000);
  const { workspaceId } = await signUpWithWorkspace(page, "Fails");
  const pipeline = await pipelineOn(page, workspaceId, "fails", local);
  const runId = await launchFromUi(page, workspaceId, pipeline.id);
  expect(await waitForStatus(page, TERMINAL, 180_000)).toBe("FAILED");
  await expect(page.getByRole("list", { name: "Timeline" }).locator('[data-step="finished"]')).toContainText(/Failed/);
  await expectSecretsDeleted(page, join(runsDir, runId));
});

test("a launch from a personal workspace provisions no secrets", async ({ page, baseURL }) => {
  test.setTimeout(300_000);
  await signUpWithWorkspace(page, "Solo");
  // Only an instance admin may run on this machine from a personal workspace (instance-settings.spec proves the refusal).
  await grantInstanceAdmin(baseURL!, `solo-res-${tag}@example.org`);
  const workspaces = await query<Array<{ id: string; personal: boolean }>>(page, "workspaces.list", {});
  const personal = workspaces.find((w) => w.personal)!;
  await mutate(page, "userSecrets.create", { name: "DB_PASSWORD", value: { plain: "not-for-personal-runs" } });
  const pipeline = await pipelineOn(page, personal.id, "secrets-hash", { ...local, name: "Mine" });
  await page.goto(`/w/${personal.id}/launch?pipelineId=${pipeline.id}`);
  await expect(page.getByRole("note")).toContainText("Runs launched from a personal workspace get no secrets.");
  await page.getByRole("button", { name: "Launch run" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${personal.id}/runs/[0-9a-f-]{36}$`));
  const runId = page.url().split("/").at(-1)!;
  // The pipeline needs DB_PASSWORD, which a personal workspace does not send: Nextflow fails it.
  expect(await waitForStatus(page, TERMINAL, 180_000)).toBe("FAILED");
  const run = await query<{ secretsState: string; secretNames: unknown[] }>(page, "runs.get", {
    workspaceId: personal.id,
    runId,
  });
  expect(run).toMatchObject({ secretsState: "NONE", secretNames: [] });
  expect(existsSync(join(runsDir, runId, "secrets"))).toBe(false);
});

test("a worker killed with SIGKILL mid-run is restarted and the run still ends with its secrets deleted", async ({
  page,
}) => {
  test.setTimeout(300_000);
  const { workspaceId } = await signUpWithWorkspace(page, "Crash");
  const pipeline = await pipelineOn(page, workspaceId, "sleeps", local, { seconds: 15 });
  const runId = await launchFromUi(page, workspaceId, pipeline.id);
  expect(await waitForStatus(page, ["RUNNING", ...TERMINAL], 120_000)).toBe("RUNNING");
  // The worker's pid, as npm start recorded it.
  const { worker } = JSON.parse(readFileSync(join(dataDir, "children.json"), "utf8")) as { worker: number };
  process.kill(worker, "SIGKILL");
  expect(await waitForStatus(page, TERMINAL, 240_000)).toBe("SUCCEEDED");
  await expectSecretsDeleted(page, join(runsDir, runId));
  const { worker: replacement } = JSON.parse(readFileSync(join(dataDir, "children.json"), "utf8")) as {
    worker: number;
  };
  expect(replacement).not.toBe(worker);
});
