import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect, test, type Page } from "@playwright/test";
import { asInstanceAdmin, e2eAdmin, trpcMutation } from "../support/admin";
import { shot } from "../support/app";

// Webhooks through the UI against the started app and worker: the instance admin lets the worker
// reach a receiver on this machine (plain http, 127.0.0.1/32), then adds an endpoint on their
// workspace's Settings tab, copies the signing secret shown once, sends a test event, and reads
// the delivery log. The receiver is a real HTTP server in this test that verifies the signature.

type TReceived = { headers: IncomingHttpHeaders; body: string };
const received: TReceived[] = [];
let server: Server;
let port = 0;

test.beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ headers: req.headers, body });
      res.writeHead(received.length === 1 ? 503 : 204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

test.afterAll(async ({ baseURL }) => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await asInstanceAdmin(baseURL!, (request) =>
    trpcMutation(request, "instance.update", { webhooksAllowHttp: false, webhooksAllowedNetworks: [] }),
  );
});

function verify(secret: string, r: TReceived): boolean {
  const expected = createHmac("sha256", Buffer.from(secret.replace(/^whsec_/, ""), "base64"))
    .update(`${String(r.headers["webhook-id"])}.${String(r.headers["webhook-timestamp"])}.${r.body}`)
    .digest();
  const got = Buffer.from(String(r.headers["webhook-signature"]).replace(/^v1,/, ""), "base64");
  return got.length === expected.length && timingSafeEqual(got, expected);
}

async function signInAsAdmin(page: Page) {
  await page.goto("/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(e2eAdmin.email);
  await page.getByLabel("Password", { exact: true }).fill(e2eAdmin.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await expect(page).toHaveURL(/\/dashboard$/);
}

test("a workspace admin adds a webhook, copies its secret once, and sees a retried test delivery in the log", async ({
  page,
}) => {
  test.setTimeout(180_000);
  await signInAsAdmin(page);

  // The instance admin allows this machine's receiver explicitly (off by default).
  await page.goto("/settings/instance");
  const destinations = page.getByRole("form", { name: "Webhook destinations" });
  await destinations.getByLabel("Allow plain http").check();
  await destinations.getByLabel("Networks exempt from the private-address block").fill("127.0.0.1");
  await destinations.getByRole("button", { name: "Save webhook destinations" }).click();
  await expect(destinations.getByText(/is not a network in CIDR form/)).toBeVisible();
  await destinations.getByLabel("Networks exempt from the private-address block").fill("127.0.0.1/32");
  await destinations.getByRole("button", { name: "Save webhook destinations" }).click();
  await expect(destinations.getByText("Webhook destinations saved.")).toBeVisible();

  const workspaces = (await (await page.request.get("/api/trpc/workspaces.list")).json()) as {
    result: { data: { json: Array<{ id: string; personal: boolean }> } };
  };
  const workspaceId = workspaces.result.data.json.find((w) => w.personal)!.id;
  await page.goto(`/w/${workspaceId}?tab=settings`);
  await expect(page.getByRole("heading", { name: "Webhooks" })).toBeVisible();

  const form = page.getByRole("form", { name: "Add a webhook endpoint" });
  await form.getByLabel("URL").fill("ftp://example.org/");
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(form.getByText(/must start with https:\/\/ or http:\/\//)).toBeVisible();
  const url = `http://127.0.0.1:${port}/lockstep`;
  await form.getByLabel("URL").fill(url);
  await form.getByLabel("Description").fill("E2E receiver");
  await form.getByRole("checkbox", { name: "secret.created" }).check();
  await form.getByRole("button", { name: "Add endpoint" }).click();
  await expect(page.getByText("you won't see it again")).toBeVisible();
  const secret = await page.getByRole("textbox", { name: "Signing secret" }).inputValue();
  expect(secret).toMatch(/^whsec_/);
  await shot(page, "webhooks-created");

  await page.getByRole("button", { name: "Send test event" }).click();
  // The receiver answers 503 first, then 204: the log shows the refused attempt and the retry.
  const log = page.getByRole("table", { name: "Delivery log" });
  await expect(log.getByRole("row")).toHaveCount(3, { timeout: 120_000 });
  await expect(log.getByRole("row").nth(1)).toContainText("204");
  await expect(log.getByRole("row").nth(2)).toContainText("503");
  await expect(log.getByRole("row").nth(2)).toContainText("http_status");
  expect(received).toHaveLength(2);
  for (const r of received) expect(verify(secret, r)).toBe(true);
  expect(JSON.parse(received[0]!.body)).toMatchObject({ type: "webhook.test", data: { workspaceId } });
  await shot(page, "webhooks-delivery-log");

  // Shown once: after a reload the secret is nowhere on the page.
  await page.reload();
  await expect(page.getByText(url)).toBeVisible();
  await expect(page.getByRole("textbox", { name: "Signing secret" })).toHaveCount(0);
  expect(await page.content()).not.toContain(secret.slice(6));

  await page.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByText("Disabled", { exact: true })).toBeVisible();
  await page.getByRole("button", { name: `Delete webhook ${url}` }).click();
  await page.getByRole("button", { name: "Confirm delete" }).click();
  await expect(page.getByText("No webhooks")).toBeVisible();
});
