import { randomUUID } from "node:crypto";
import { expect, test } from "@playwright/test";
import { Client } from "../support/client";

test("the audit log records the client's socket address; forwarding headers it sent do not change it", async () => {
  const client = new Client("127.0.0.61");
  const email = `audit-${randomUUID().slice(0, 8)}@example.test`;
  const password = "correct horse battery";
  expect((await client.mutation("auth.signUp", { email, name: "Audit", password })).status).toBe(200);
  expect(await client.signIn(email, password)).toBeNull();
  const workspaces = (await client.query<Array<{ id: string; personal: boolean }>>("workspaces.list")).body.result!.data
    .json;
  const workspaceId = workspaces.find((w) => w.personal)!.id;

  const forged = {
    "x-forwarded-for": "198.51.100.99",
    "x-real-ip": "198.51.100.98",
    "x-lockstep-client-address": "198.51.100.97",
  };
  const created = await client.mutation(
    "secrets.create",
    { workspaceId, name: "AUDITED", value: { plain: "audit-address-value" } },
    forged,
  );
  expect(created.status).toBe(200);
  const events = (
    await client.query<{ items: Array<{ action: string; ip: string | null }> }>("audit.list", { workspaceId })
  ).body.result!.data.json.items;
  expect(events[0]).toEqual(expect.objectContaining({ action: "secret.created", ip: "127.0.0.61" }));
});
