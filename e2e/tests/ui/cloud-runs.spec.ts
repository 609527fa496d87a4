import { expect, test } from "@playwright/test";
import { MOTO_ACCOUNT, prepareMotoBatch } from "@lockstep/devstack";
import { awsEndpoint as endpoint } from "../../playwright.config";
import { mutate, shot, signUp } from "../support/app";

// A run on an AWS Batch compute environment, launched and followed through the UI, against moto
// (npm test starts it and gives the app AWS_ENDPOINT_URL). moto's simple Batch backend ends the
// head job at once without running a container, so this shows the product side: credentials,
// launch, the run page for a cloud run, secrets created and deleted in Secrets Manager, the job
// definition deregistered. Nextflow on real Batch is only checkable on AWS (docs/aws.md).

const region = "eu-west-1";
const tag = `${Date.now()}-${Math.random().toString(36).slice(2, 6)}`;
const values = {
  dbPassword: `db-${tag}-cloud`,
  workspaceToken: `tok-${tag}-cloud-ws`,
  userToken: `tok-${tag}-cloud-mine`,
};
const secretKey = `MARKER${tag.replace(/-/g, "")}secretkey`;

/** A call to moto as the AWS JSON protocol sends it (moto routes by target and signing scope). */
async function aws<T>(service: "secretsmanager" | "batch", target: string, body: object): Promise<T> {
  const batch = service === "batch";
  const response = await fetch(batch ? `${endpoint}${target}` : endpoint!, {
    method: "POST",
    headers: {
      "content-type": batch ? "application/json" : "application/x-amz-json-1.1",
      ...(batch ? {} : { "x-amz-target": `secretsmanager.${target}` }),
      authorization: `AWS4-HMAC-SHA256 Credential=testing/20250101/${region}/${service}/aws4_request, SignedHeaders=host, Signature=0`,
    },
    body: JSON.stringify(body),
  });
  expect(response.ok, `${service} ${target}`).toBe(true);
  return (await response.json()) as T;
}

test("an AWS Batch run: secrets go to Secrets Manager by ARN and are gone when the run ends", async ({ page }) => {
  expect(
    endpoint,
    "the cloud run tests need moto: run them with npm test, which starts it and sets AWS_ENDPOINT_URL",
  ).toBeTruthy();
  test.setTimeout(180_000);
  const name = `e2e-${tag}`.slice(0, 40);
  const { jobQueue, executionRoleArn } = await prepareMotoBatch(endpoint!, { region, name });
  const prefix = `${name}/`;

  await signUp(page, { name: "Cleo Cloud", email: `cleo-${tag}@example.org`, password: "correct horse battery" });
  const org = await mutate<{ id: string }>(page, "orgs.create", { name: `Cloud ${tag}` });
  const ws = await mutate<{ id: string }>(page, "workspaces.create", { orgId: org.id, name: `Cloud ${tag}` });
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
  const cred = await mutate<{ id: string }>(page, "credentials.create", {
    workspaceId: ws.id,
    name: "moto",
    provider: "aws",
    value: { plain: JSON.stringify({ accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: secretKey }) },
  });
  const ce = await mutate<{ id: string }>(page, "computeEnvs.create", {
    workspaceId: ws.id,
    computeEnv: {
      kind: "aws-batch",
      name: "AWS Batch",
      workDir: "s3://lockstep-e2e/runs",
      nextflowVersion: "24.10.8",
      config: {
        region,
        jobQueue,
        executionRoleArn,
        headImage: "public.ecr.aws/seqera-labs/nextflow:24.10.8",
        secretPrefix: prefix,
        credentialId: cred.id,
      },
    },
  });
  const pipeline = await mutate<{ id: string }>(page, "pipelines.create", {
    workspaceId: ws.id,
    pipeline: { name: "Hello", repository: "https://github.com/nextflow-io/hello", defaultComputeEnvId: ce.id },
  });

  // Launch through the form, exactly as for local runs.
  await page.goto(`/w/${ws.id}/launch?pipelineId=${pipeline.id}`);
  await expect(page.getByLabel("Compute environment").locator("option:checked")).toHaveText(/AWS Batch/);
  await expect(page.getByRole("table", { name: "Secrets this run gets" }).getByRole("row")).toHaveCount(3);
  await page.getByRole("button", { name: "Launch run" }).click();
  await expect(page).toHaveURL(new RegExp(`/w/${ws.id}/runs/[0-9a-f-]{36}$`));
  const runId = page.url().split("/").at(-1)!;

  const timeline = page.getByRole("list", { name: "Timeline" });
  await expect(timeline.locator('[data-step="deleted"]')).toHaveAttribute("data-state", "done", { timeout: 90_000 });
  await expect(page.getByTestId("run-header").locator("[data-status]")).toHaveAttribute("data-status", "SUCCEEDED");
  await expect(timeline.locator('[data-step="provisioned"]')).toHaveAttribute("data-state", "done");
  // A cloud run's log is in CloudWatch: the page says so and names the Batch job and work directory.
  await expect(page.getByText(/its console goes to CloudWatch Logs/)).toBeVisible();
  await expect(page.getByText(`s3://lockstep-e2e/runs/${runId}`, { exact: true })).toBeVisible();
  const received = page.getByRole("list", { name: "Secrets the run received" });
  await expect(received.getByRole("listitem")).toHaveCount(2);
  const html = await page.content();
  for (const v of [...Object.values(values), secretKey])
    expect(html, "a secret value appeared on the run page").not.toContain(v);
  await shot(page, "cloud-run-succeeded");

  // In moto: the job definition named the run's ARNs and is deregistered; no secret is left.
  const defs = await aws<{
    jobDefinitions: Array<{
      status: string;
      containerProperties: { secrets: Array<{ name: string; valueFrom: string }> };
    }>;
  }>("batch", "/v1/describejobdefinitions", { jobDefinitionName: `lockstep-${runId}` });
  expect(defs.jobDefinitions.map((d) => d.status)).toEqual(["INACTIVE"]);
  expect(defs.jobDefinitions[0]!.containerProperties.secrets.map((s) => s.valueFrom).sort()).toEqual(
    ["API_TOKEN", "DB_PASSWORD"].map((n) =>
      expect.stringMatching(
        new RegExp(`^arn:aws:secretsmanager:${region}:${MOTO_ACCOUNT}:secret:${prefix}${runId}/${n}-`),
      ),
    ),
  );
  const left = await aws<{ SecretList: Array<{ Name: string }> }>("secretsmanager", "ListSecrets", {
    Filters: [{ Key: "name", Values: [prefix] }],
  });
  expect(left.SecretList.map((s) => s.Name)).toEqual([]);

  // The credentials cannot be deleted while the environment uses them.
  const refused = await page.request.post("/api/trpc/credentials.delete", {
    data: { json: { workspaceId: ws.id, credentialId: cred.id } },
  });
  expect(refused.status()).toBe(409);
  expect(await refused.text()).toContain('used by compute environment \\"AWS Batch\\"');
});
