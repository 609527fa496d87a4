import { expect, test, type Locator, type Page } from "@playwright/test";
import { awsEndpoint } from "../../playwright.config";
import { mutate, signUp } from "../support/app";

// Cloud compute environments (AWS Batch, Google Batch) through the form: the credentials they need,
// the server's validation next to the field it is about, the summary in the table, and editing.
// Setup (organization, workspace, Google credentials) uses the API with the page's session; the
// AWS credentials go through the Credentials page the form links to.

type TComputeEnvOut = { id: string; name: string; kind: string; workDir: string; config: Record<string, unknown> };

const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const rand = () => Math.random().toString(36).slice(2);
const accessKeyId = `AKIA${`${rand()}${rand()}`.toUpperCase().replace(/[^A-Z0-9]/g, "")}0000000000000000`.slice(0, 20);
const secretAccessKey = `e2e${rand()}${rand()}${rand()}`.slice(0, 40).padEnd(40, "x");
const roleArn = "arn:aws:iam::123456789012:role/lockstep-batch-execution";

/** A screenshot of the whole dialog: a tall window, so its scrolling body shows every field. */
async function shotDialog(page: Page, dialog: Locator, path: string) {
  const size = page.viewportSize();
  await page.setViewportSize({ width: 1280, height: 2000 });
  await dialog.screenshot({ path });
  if (size) await page.setViewportSize(size);
}

async function query<T = unknown>(page: Page, path: string, input: unknown): Promise<T> {
  const response = await page.request.get(
    `/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`,
  );
  const body = (await response.json()) as { result?: { data?: { json?: T } }; error?: unknown };
  expect(response.ok(), `${path}: ${JSON.stringify(body.error)}`).toBe(true);
  return body.result!.data!.json as T;
}

async function signUpWithWorkspace(page: Page) {
  await signUp(page, { name: "Cleo Cloud", email: `cleo-ce-${tag}@example.org`, password: "correct horse battery" });
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Clouds ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `Batch ${tag}` });
  return ws.id;
}

test("AWS Batch and Google Batch compute environments are created and edited through the form", async ({ page }) => {
  test.setTimeout(120_000);
  const workspaceId = await signUpWithWorkspace(page);
  const envs = () => query<TComputeEnvOut[]>(page, "computeEnvs.list", { workspaceId });

  // ── Without credentials for its cloud, the form says where to add them instead ───────────────────
  await page.goto(`/w/${workspaceId}/compute-envs`);
  await expect(page.getByText("No compute environments yet")).toBeVisible();
  await page.getByRole("button", { name: "New compute environment" }).click();
  let dialog = page.getByRole("dialog", { name: "New compute environment" });
  const create = dialog.getByRole("button", { name: "Create compute environment" });
  for (const kind of ["Local", "Slurm", "AWS Batch", "Google Batch"])
    await expect(dialog.getByRole("radio", { name: kind, exact: true })).toBeVisible();
  await expect(dialog.getByRole("radio", { name: "Local", exact: true })).toBeChecked();
  await expect(dialog.getByRole("radio", { name: "AWS Batch", exact: true })).toHaveAccessibleDescription(
    /Secrets Manager/,
  );
  // What a run's secrets reach is said for the kind chosen (issue 14): on AWS Batch, tasks through ECS secrets.
  await expect(dialog.getByTestId("secrets-reach")).toHaveText(/every task that declares them/);
  await dialog.getByRole("radio", { name: "Google Batch", exact: true }).check();
  await expect(dialog.getByTestId("secrets-reach")).toContainText(
    "each task that declares one reads it from Secret Manager when it starts",
  );
  await expect(dialog.getByRole("note", { name: "No Google Cloud credentials" })).toBeVisible();
  await expect(create).toBeDisabled();
  await dialog.getByRole("radio", { name: "AWS Batch", exact: true }).check();
  await expect(dialog.getByTestId("secrets-reach")).toContainText(
    "A task that declares one runs as a per-run Batch job definition whose ECS secrets name the run's Secrets Manager ARNs",
  );
  const noAws = dialog.getByRole("note", { name: "No AWS credentials" });
  await expect(noAws).toContainText("This workspace has no AWS credentials yet.");
  await expect(dialog.getByLabel("AWS credentials", { exact: true })).toHaveCount(0);
  await expect(create).toBeDisabled();
  await expect(dialog.getByLabel("Region")).toHaveAttribute("placeholder", "eu-west-1");
  await shotDialog(page, dialog, test.info().outputPath("aws-no-credentials.png"));

  // ── The notice's link leads to the Credentials page; AWS credentials are added there ────────────
  await noAws.getByRole("link", { name: "Add them on the Credentials page" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/credentials$`));
  await page.getByRole("button", { name: "Add credentials" }).click();
  const credDialog = page.getByRole("dialog", { name: "Add credentials" });
  await credDialog.getByLabel("Name", { exact: true }).fill("aws-batch-e2e");
  await credDialog.getByLabel("Access key ID", { exact: true }).fill(accessKeyId);
  await credDialog.getByLabel("Secret access key", { exact: true }).fill(secretAccessKey);
  await credDialog.getByRole("button", { name: "Add credentials" }).click();
  await expect(page.getByText("Added aws-batch-e2e.")).toBeVisible();
  const [awsCredential] = await query<Array<{ id: string; provider: string }>>(page, "credentials.list", {
    workspaceId,
  });
  expect(awsCredential?.provider).toBe("aws");

  // ── AWS Batch: a malformed role ARN is refused next to its field, and nothing is created ────────
  await page
    .getByRole("navigation", { name: "Workspace sections" })
    .getByRole("link", { name: "Compute environments" })
    .click();
  await page.getByRole("button", { name: "New compute environment" }).click();
  dialog = page.getByRole("dialog", { name: "New compute environment" });
  await dialog.getByRole("radio", { name: "AWS Batch", exact: true }).check();
  const awsSelect = dialog.getByLabel("AWS credentials", { exact: true });
  await expect(awsSelect).toHaveValue(awsCredential!.id);
  await expect(awsSelect.locator("option:checked")).toHaveText("aws-batch-e2e");
  await dialog.getByLabel("Name", { exact: true }).fill("AWS head");
  await expect(dialog.getByLabel("Work directory")).toHaveAttribute("placeholder", /^s3:\/\//);
  await dialog.getByLabel("Work directory").fill("s3://lockstep-e2e/runs");
  await dialog.getByLabel("Region").fill("eu-west-1");
  await dialog.getByLabel("Job queue").fill("lockstep-head");
  const role = dialog.getByLabel("Execution role ARN");
  await expect(role).toHaveAttribute("placeholder", /^arn:aws:iam::123456789012:role\//);
  await role.fill("arn:aws:iam::123456789012:user/not-a-role");
  await expect(dialog.getByLabel("Head image")).toHaveAttribute("placeholder", "nextflow/nextflow:24.10.8");
  await dialog.getByLabel("Head image").fill("nextflow/nextflow:24.10.8");
  const prefix = dialog.getByLabel("Secret name prefix");
  await expect(prefix).toHaveValue("lockstep-");
  await expect(prefix).toHaveAccessibleDescription(/IAM policies .* scoped to this prefix/);
  await expect(create).toBeEnabled();
  await shotDialog(page, dialog, "/tmp/ce-aws.png");
  await create.click();
  await expect(role).toHaveAttribute("aria-invalid", "true");
  await expect(role).toHaveAccessibleDescription(
    "Enter an IAM role ARN such as arn:aws:iam::123456789012:role/lockstep.",
  );
  await expect(dialog.getByRole("alert")).toHaveCount(0);
  for (const other of ["Region", "Job queue", "Head image", "Work directory"])
    await expect(dialog.getByLabel(other)).not.toHaveAttribute("aria-invalid", "true");
  await shotDialog(page, dialog, test.info().outputPath("aws-role-error.png"));
  expect(await envs(), "a compute environment was created despite the error").toHaveLength(0);

  await role.fill(roleArn);
  await expect(role).not.toHaveAttribute("aria-invalid", "true");
  await create.click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText("Created AWS head.")).toBeVisible();
  const table = page.getByRole("table", { name: "Compute environments" });
  const awsRow = table.getByRole("row", { name: /AWS head/ });
  await expect(awsRow).toContainText("AWS Batch");
  await expect(awsRow.getByText("eu-west-1", { exact: true })).toBeVisible();
  await expect(awsRow.getByText("queue lockstep-head", { exact: true })).toBeVisible();
  await expect(awsRow).toContainText("s3://lockstep-e2e/runs");
  const [awsEnv] = await envs();
  expect(awsEnv).toMatchObject({
    kind: "aws-batch",
    config: {
      region: "eu-west-1",
      jobQueue: "lockstep-head",
      executionRoleArn: roleArn,
      headImage: "nextflow/nextflow:24.10.8",
      secretPrefix: "lockstep-",
      credentialId: awsCredential!.id,
    },
  });
  expect(awsEnv!.config).not.toHaveProperty("kmsKeyId");

  // ── Edit: the form opens with the saved settings; a new job queue is saved ─────────────────────
  await awsRow.getByRole("button", { name: "Edit AWS head" }).click();
  const edit = page.getByRole("dialog", { name: "Edit AWS head" });
  await expect(edit.getByRole("radio", { name: "AWS Batch", exact: true })).toBeChecked();
  await expect(edit.getByLabel("Work directory")).toHaveValue("s3://lockstep-e2e/runs");
  await expect(edit.getByLabel("AWS credentials", { exact: true })).toHaveValue(awsCredential!.id);
  await expect(edit.getByLabel("Region")).toHaveValue("eu-west-1");
  await expect(edit.getByLabel("Execution role ARN")).toHaveValue(roleArn);
  await expect(edit.getByLabel("Head image")).toHaveValue("nextflow/nextflow:24.10.8");
  await expect(edit.getByLabel("Secret name prefix")).toHaveValue("lockstep-");
  await expect(edit.getByLabel("Job queue")).toHaveValue("lockstep-head");
  await edit.getByLabel("Job queue").fill("lockstep-head-spot");
  await edit.getByRole("button", { name: "Save changes" }).click();
  await expect(edit).toHaveCount(0);
  await expect(page.getByText("Saved AWS head.")).toBeVisible();
  await expect(awsRow.getByText("queue lockstep-head-spot", { exact: true })).toBeVisible();
  const [edited] = await envs();
  expect(edited).toMatchObject({
    id: awsEnv!.id,
    config: { jobQueue: "lockstep-head-spot", executionRoleArn: roleArn, credentialId: awsCredential!.id },
  });

  // ── Check connection: the worker opens the credentials and asks AWS, and says what failed ────────
  // Under npm test the app's AWS calls go to moto (AWS_ENDPOINT_URL): Secrets Manager answers, and
  // the queue, which moto does not have, is reported. Without it, AWS itself cannot be reached here.
  const checkButton = awsRow.getByRole("button", { name: "Check connection AWS head" });
  await checkButton.click();
  // "Checking…" lasts only as long as the worker takes to fail (well under a second here): not asserted, it would be a race.
  await expect(awsRow.getByText(/^Check failed · /)).toBeVisible({ timeout: 90_000 });
  const checkAlert = awsRow.getByRole("alert");
  await expect(checkAlert).toContainText(
    awsEndpoint
      ? "AWS Batch: job queue lockstep-head-spot not found in eu-west-1"
      : "aws-secrets-manager: listing managed secrets failed",
  );
  await expect(checkAlert).not.toContainText(secretAccessKey);
  await expect(checkButton).toBeEnabled();
  await page.screenshot({ path: test.info().outputPath("compute-envs-check-failed.png"), fullPage: true });

  // ── Google Batch, with Google credentials: only they are offered ────────────────────────────────
  const google = await mutate<{ id: string }>(page, "credentials.create", {
    workspaceId,
    name: "gcp-batch-e2e",
    provider: "google",
    value: {
      plain: JSON.stringify({
        type: "service_account",
        project_id: "lockstep-e2e",
        private_key: "-----BEGIN PRIVATE KEY-----\nnot-a-real-key\n-----END PRIVATE KEY-----\n",
        client_email: "lockstep@lockstep-e2e.iam.gserviceaccount.com",
      }),
    },
  });
  await page.reload();
  await page.getByRole("button", { name: "New compute environment" }).click();
  dialog = page.getByRole("dialog", { name: "New compute environment" });
  await dialog.getByRole("radio", { name: "Google Batch", exact: true }).check();
  const googleSelect = dialog.getByLabel("Google Cloud credentials", { exact: true });
  await expect(googleSelect).toHaveValue(google.id);
  await expect(googleSelect.locator("option")).toHaveText(["gcp-batch-e2e"]);
  await dialog.getByLabel("Name", { exact: true }).fill("Google head");
  await dialog.getByLabel("Work directory").fill("gs://lockstep-e2e/runs");
  await dialog.getByLabel("Project ID").fill("lockstep-e2e-project");
  await expect(dialog.getByLabel("Region")).toHaveAttribute("placeholder", "europe-west4");
  await dialog.getByLabel("Region").fill("europe-west4");
  await dialog.getByLabel("Service account").fill("nextflow-batch@lockstep-e2e-project.iam.gserviceaccount.com");
  await dialog.getByLabel("Machine type (optional)").fill("e2-standard-2");
  await expect(dialog.getByLabel("Secret name prefix")).toHaveAccessibleDescription(
    /IAM conditions .* scoped to this prefix/,
  );
  await shotDialog(page, dialog, test.info().outputPath("google-form.png"));
  await create.click();
  await expect(dialog).toHaveCount(0);
  await expect(page.getByText("Created Google head.")).toBeVisible();
  const googleRow = table.getByRole("row", { name: /Google head/ });
  await expect(googleRow).toContainText("Google Batch");
  await expect(googleRow.getByText("project lockstep-e2e-project", { exact: true })).toBeVisible();
  await expect(googleRow.getByText("europe-west4", { exact: true })).toBeVisible();
  await expect(googleRow).toContainText("gs://lockstep-e2e/runs");
  await expect(table.getByRole("row")).toHaveCount(3);
  const saved = (await envs()).find((e) => e.name === "Google head");
  expect(saved).toMatchObject({
    kind: "google-batch",
    config: {
      projectId: "lockstep-e2e-project",
      region: "europe-west4",
      machineType: "e2-standard-2",
      secretPrefix: "lockstep-",
      credentialId: google.id,
    },
  });
  expect(saved!.config).not.toHaveProperty("headImage");
  await page.screenshot({ path: test.info().outputPath("compute-envs-cloud.png"), fullPage: true });

  // Google's edit form is prefilled too.
  await googleRow.getByRole("button", { name: "Edit Google head" }).click();
  const editGoogle = page.getByRole("dialog", { name: "Edit Google head" });
  await expect(editGoogle.getByRole("radio", { name: "Google Batch", exact: true })).toBeChecked();
  await expect(editGoogle.getByLabel("Project ID")).toHaveValue("lockstep-e2e-project");
  await expect(editGoogle.getByLabel("Service account")).toHaveValue(
    "nextflow-batch@lockstep-e2e-project.iam.gserviceaccount.com",
  );
  await expect(editGoogle.getByLabel("Google Cloud credentials", { exact: true })).toHaveValue(google.id);
  await editGoogle.getByRole("button", { name: "Cancel" }).click();
  await expect(editGoogle).toHaveCount(0);
});
