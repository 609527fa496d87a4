import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createDatabase, createUserWithPersonalWorkspace, eq, insertRun, schema, updateRunIf } from "@lockstep/db";
import { createQueues, createRedis, enqueue } from "@lockstep/queue";
import { addParticipant, apiCaller, makeInstanceAdmin, testKeys } from "./test/fixtures";
import { cleanup } from "./processors/runs/cleanup";
import { finishRun } from "./processors/runs/common";
import type { TProcessorContext } from "./processors/types";
import type { TRuntime } from "./runtime";
import { addressRefusal, postWebhook } from "./webhooks/destination";
import { startWorkers, workerIdentity, type TWorkers } from "./worker";

/**
 * Webhooks end to end against real components: the API records the event in the write's own
 * transaction, a real worker (BullMQ on real Redis) signs and POSTs it to a real HTTP receiver in
 * this test, and the delivery log in Postgres says what happened. The receiver verifies each
 * signature with its own code, written from the Standard Webhooks spec (not the worker's).
 */
const prefix = `it-hooks-${randomUUID().slice(0, 8)}`;
const logLines: string[] = [];
const logger = pino({ level: "debug" }, { write: (line: string) => void logLines.push(line) });
const { db, close } = createDatabase(inject("databaseUrl"), { max: 4 });
const connection = createRedis(inject("redisUrl"), "worker");
const producer = createRedis(inject("redisUrl"), "worker");
const queues = createQueues(producer, prefix);
const keys = await testKeys(`hooks-${prefix}`);
const deps = { db, redis: producer, queues, keys };

type TReceived = { path: string; headers: IncomingHttpHeaders; body: string };

/** A webhook receiver: answers each request with the next scripted status (then 200), and records it. */
async function receiver() {
  const received: TReceived[] = [];
  const script: number[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString("utf8")));
    req.on("end", () => {
      received.push({ path: req.url ?? "", headers: req.headers, body });
      const status = script.shift() ?? 200;
      if (status === 302) res.writeHead(302, { location: "/elsewhere" }).end();
      else res.writeHead(status).end("ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    received,
    script,
    port,
    url: (path = "/hook") => `http://127.0.0.1:${port}${path}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Standard Webhooks verification, independent of the worker's signer: HMAC-SHA256 over id.timestamp.body with the base64-decoded whsec_ key. */
function verify(secret: string, r: TReceived): boolean {
  const id = String(r.headers["webhook-id"]);
  const timestamp = String(r.headers["webhook-timestamp"]);
  if (Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return false;
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${r.body}`).digest();
  return String(r.headers["webhook-signature"])
    .split(" ")
    .some((sig) => {
      const [version, value] = sig.split(",");
      const got = Buffer.from(value ?? "", "base64");
      return version === "v1" && got.length === expected.length && timingSafeEqual(got, expected);
    });
}

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// A port something listens on that webhooks must never call (stands for the worker's metrics port, Postgres, Redis).
const forbidden = await receiver();
const runtime: TRuntime = {
  baseEnv: {},
  monitorIntervalMs: 1000,
  nextflowLib: () => Promise.reject(new Error("no runs in this test")),
  webhooks: { retryBaseMs: 300, timeoutMs: 3_000, blockedPorts: [forbidden.port] },
};
let workers: TWorkers;
const start = () => (workers = startWorkers({ db, keys, queues, runtime, connection, prefix, logger, concurrency: 2 }));

let admin: ReturnType<typeof apiCaller>;
async function setPolicy(webhooksAllowHttp: boolean, webhooksAllowedNetworks: string[]) {
  await admin.instance.update({ webhooksAllowHttp, webhooksAllowedNetworks });
}

beforeAll(async () => {
  const user = (await createUserWithPersonalWorkspace(db, {
    email: `hook-admin-${randomUUID()}@example.test`,
    name: "Admin",
    passwordHash: null,
  }))!;
  await makeInstanceAdmin(db, user.id);
  admin = apiCaller(deps, user.id);
  // What the instance admin sets for a receiver on this machine: plain http and loopback, explicitly.
  await setPolicy(true, ["127.0.0.1/32"]);
  start();
});

afterAll(async () => {
  await workers?.close();
  await setPolicy(false, []).catch(() => undefined);
  await forbidden.close();
  await queues.close();
  await Promise.all([connection.quit(), producer.quit()]);
  await close();
});

async function workspace() {
  const owner = (await createUserWithPersonalWorkspace(db, {
    email: `hook-owner-${randomUUID()}@example.test`,
    name: "Owner",
    passwordHash: null,
  }))!;
  const asOwner = apiCaller(deps, owner.id);
  const org = await asOwner.orgs.create({ name: "Hooks", slug: `hooks-${owner.id.slice(0, 8)}` });
  const ws = await asOwner.workspaces.create({ orgId: org.id, name: "Hooks" });
  return { owner, asOwner, ws };
}

const attemptsOf = async (asOwner: ReturnType<typeof apiCaller>, workspaceId: string, endpointId: string) =>
  (await asOwner.webhooks.deliveries({ workspaceId, endpointId })).items;

describe("webhook delivery", () => {
  it("signs a secret event (Standard Webhooks), retries a refused delivery, logs both attempts, and carries no value", async () => {
    const r = await receiver();
    const { owner, asOwner, ws } = await workspace();
    const created = await asOwner.webhooks.create({
      workspaceId: ws.id,
      url: r.url(),
      description: "CI",
      events: ["secret.created", "secret.overwritten", "secret.deleted"],
    });
    const secret = created.signingSecret;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    // Shown once: nothing lists it again, and the row holds a sealed envelope, not the secret.
    expect(JSON.stringify(await asOwner.webhooks.list({ workspaceId: ws.id }))).not.toContain(secret.slice(6));
    const [row] = await db
      .select()
      .from(schema.webhookEndpoints)
      .where(eq(schema.webhookEndpoints.id, created.endpoint.id));
    expect(row!.secretSealed).toMatch(/^lsv1\./);
    expect(row!.secretSealed).not.toContain(secret.slice(6));

    const marker = `hook-MARKER-${randomUUID()}`;
    r.script.push(500);
    const made = await asOwner.secrets.create({ workspaceId: ws.id, name: "DB_PASSWORD", value: { plain: marker } });
    await until("two attempts", () => r.received.length >= 2 && r.received);
    const [first, second] = r.received as [TReceived, TReceived];
    for (const got of [first, second]) {
      expect(verify(secret, got)).toBe(true);
      expect(got.headers["content-type"]).toBe("application/json");
    }
    // The same message (id and body) both times; a wrong secret does not verify (the check can fail).
    expect(second.headers["webhook-id"]).toBe(first.headers["webhook-id"]);
    expect(second.body).toBe(first.body);
    expect(verify(`whsec_${Buffer.alloc(32, 1).toString("base64")}`, first)).toBe(false);
    const payload = JSON.parse(first.body) as {
      id: string;
      type: string;
      timestamp: string;
      data: { secret: { id: string; name: string }; actor: { id: string }; workspaceId: string };
    };
    expect(payload).toMatchObject({
      id: first.headers["webhook-id"],
      type: "secret.created",
      data: { workspaceId: ws.id, secret: { id: made.id, name: "DB_PASSWORD" }, actor: { id: owner.id } },
    });

    const log = await until("the second attempt logged", async () => {
      const items = await attemptsOf(asOwner, ws.id, created.endpoint.id);
      return items.length >= 2 && items;
    });
    // Newest first: attempt 2 delivered, attempt 1 refused with a retry time.
    expect(log.map((a) => [a.attempt, a.statusCode, a.errorKind])).toEqual([
      [2, 200, null],
      [1, 500, "http_status"],
    ]);
    // Dates leave the API as ISO strings: the refused attempt has its retry time, after its own.
    expect(Date.parse(log[1]!.nextRetryAt!)).toBeGreaterThan(Date.parse(log[1]!.at));
    expect(log[0]!.nextRetryAt).toBeNull();
    for (const a of log) expect(a.durationMs).toBeGreaterThanOrEqual(0);

    // Overwrite and delete go out too; a personal secret never does.
    const again = `hook-MARKER-${randomUUID()}`;
    await asOwner.secrets.update({ workspaceId: ws.id, secretId: made.id, value: { plain: again } });
    await asOwner.userSecrets.create({ name: "PERSONAL_TOKEN", value: { plain: `personal-MARKER-${randomUUID()}` } });
    await asOwner.secrets.delete({ workspaceId: ws.id, secretId: made.id });
    await until("overwrite and delete", () => r.received.length >= 4);
    await new Promise((res) => setTimeout(res, 500));
    // Two deliveries, two jobs: order is not promised (docs/webhooks.md), only that each arrives.
    expect(
      r.received
        .slice(2)
        .map((x) => (JSON.parse(x.body) as { type: string }).type)
        .sort(),
    ).toEqual(["secret.deleted", "secret.overwritten"]);
    expect(r.received.map((x) => x.body).join("\n")).not.toContain("PERSONAL_TOKEN");

    // The markers are nowhere: not in a body or header sent, not in the outbox, not in a log line; nor the signing secret.
    const events = await db.select().from(schema.webhookEvents).where(eq(schema.webhookEvents.workspaceId, ws.id));
    const everything = [JSON.stringify(r.received), JSON.stringify(events), logLines.join("\n")].join("\n");
    expect(everything).toContain("DB_PASSWORD"); // the search covers the places the name went (the control)
    for (const needle of [marker, again, "personal-MARKER", secret.slice(6), row!.secretSealed])
      expect(everything).not.toContain(needle);
    await r.close();
  });

  it("sends run.finished from the worker's run lifecycle with ids, names and status only", async () => {
    const r = await receiver();
    const { owner, asOwner, ws } = await workspace();
    const created = await asOwner.webhooks.create({ workspaceId: ws.id, url: r.url(), events: ["run.finished"] });
    const run = await insertRun(db, {
      workspaceId: ws.id,
      pipelineId: null,
      computeEnvId: null,
      launchedBy: owner.id,
      pipelineName: "hello",
      repository: "/nowhere",
      computeEnvName: "Local",
      computeEnvKind: "local",
      deadlineAt: new Date(Date.now() + 3_600_000),
    });
    const ctx: TProcessorContext = { db, keys, queues, runtime, logger, worker: workerIdentity() };
    await finishRun(ctx, run, "FAILED", { exitCode: 3, errorMessage: "Nextflow exited with code 3 at /secret/path" });
    // Finishing twice sends nothing more (only the transition does).
    await finishRun(ctx, run, "FAILED", { exitCode: 3 });
    await until("run.finished", () => r.received.length >= 1);
    await new Promise((res) => setTimeout(res, 500));
    expect(r.received).toHaveLength(1);
    expect(verify(created.signingSecret, r.received[0]!)).toBe(true);
    const body = JSON.parse(r.received[0]!.body) as { type: string; data: { run: Record<string, unknown> } };
    expect(body.type).toBe("run.finished");
    expect(body.data.run).toMatchObject({
      id: run.id,
      status: "FAILED",
      exitCode: 3,
      pipelineName: "hello",
      launchedBy: owner.id,
    });
    expect(r.received[0]!.body).not.toContain("/secret/path");
    await r.close();
  });

  it("sends run.cleanup_failed when the run's secrets cannot be deleted (the cleanup job's permanent failure)", async () => {
    const r = await receiver();
    const { owner, asOwner, ws } = await workspace();
    const created = await asOwner.webhooks.create({ workspaceId: ws.id, url: r.url(), events: ["run.cleanup_failed"] });
    const run = await insertRun(db, {
      workspaceId: ws.id,
      pipelineId: null,
      computeEnvId: null,
      launchedBy: owner.id,
      pipelineName: "hello",
      repository: "/nowhere",
      computeEnvName: "Gone",
      computeEnvKind: "local",
      deadlineAt: new Date(Date.now() + 3_600_000),
    });
    // Ended with copies out there, and neither a recorded store nor a compute environment to delete them with.
    const ended = (await updateRunIf(
      db,
      run.id,
      {},
      { status: "SUCCEEDED", secretsState: "PROVISIONED", finishedAt: new Date(), exitCode: 0 },
    ))!;
    const ctx: TProcessorContext = { db, keys, queues, runtime, logger, worker: workerIdentity() };
    const job = { attemptsMade: 0, opts: { attempts: 14 } } as Parameters<typeof cleanup>[1];
    await expect(cleanup({ runId: ended.id }, job, ctx)).rejects.toThrow(/compute environment was deleted/);
    await until("run.cleanup_failed", () => r.received.length >= 1);
    expect(verify(created.signingSecret, r.received[0]!)).toBe(true);
    const body = JSON.parse(r.received[0]!.body) as {
      type: string;
      data: { run: Record<string, unknown>; cleanup: { attempts: number } };
    };
    expect(body).toMatchObject({
      type: "run.cleanup_failed",
      data: { run: { id: run.id, status: "SUCCEEDED" }, cleanup: { attempts: 1 } },
    });
    // The provider's error text stays out of the message.
    expect(r.received[0]!.body).not.toContain("compute environment was deleted");
    await r.close();
  });

  it("loses no event when the worker is down and Redis lost its jobs: the drain delivers it after a restart", async () => {
    const r = await receiver();
    const { asOwner, ws } = await workspace();
    const created = await asOwner.webhooks.create({ workspaceId: ws.id, url: r.url(), events: ["secret.created"] });
    await workers.close();
    await asOwner.secrets.create({ workspaceId: ws.id, name: "WHILE_DOWN", value: { plain: "v" } });
    // Redis loses the job the API enqueued (a flush, a failover without persistence).
    await queues.get("webhooks").obliterate({ force: true });
    expect(await queues.get("webhooks").getJobCounts()).toMatchObject({ waiting: 0, delayed: 0 });
    await new Promise((res) => setTimeout(res, 300));
    expect(r.received).toHaveLength(0);
    start();
    // What main.ts does at boot.
    await enqueue(queues, "webhooks.drain", { requestedBy: "test", nonce: randomUUID() });
    await until("the event after restart", () => r.received.length >= 1);
    expect(verify(created.signingSecret, r.received[0]!)).toBe(true);
    expect((JSON.parse(r.received[0]!.body) as { data: { secret: { name: string } } }).data.secret.name).toBe(
      "WHILE_DOWN",
    );
    await r.close();
  });

  it("rotating the secret signs the next delivery with the new one only", async () => {
    const r = await receiver();
    const { asOwner, ws } = await workspace();
    const created = await asOwner.webhooks.create({ workspaceId: ws.id, url: r.url(), events: ["secret.created"] });
    const rotated = await asOwner.webhooks.rotateSecret({ workspaceId: ws.id, endpointId: created.endpoint.id });
    expect(rotated.signingSecret).not.toBe(created.signingSecret);
    await asOwner.webhooks.test({ workspaceId: ws.id, endpointId: created.endpoint.id });
    await until("the test event", () => r.received.length >= 1);
    expect(JSON.parse(r.received[0]!.body)).toMatchObject({ type: "webhook.test" });
    expect(verify(rotated.signingSecret, r.received[0]!)).toBe(true);
    expect(verify(created.signingSecret, r.received[0]!)).toBe(false);
    await r.close();
  });
});

describe("webhook destinations (SSRF): the worker refuses internal addresses at connect time", () => {
  async function attempt(asOwner: ReturnType<typeof apiCaller>, workspaceId: string, url: string) {
    const created = await asOwner.webhooks.create({ workspaceId, url, events: ["secret.created"] });
    await asOwner.webhooks.test({ workspaceId, endpointId: created.endpoint.id });
    // The first attempt (a retryable failure may already have a second one after it).
    return (await until(`an attempt to ${url}`, async () =>
      (await attemptsOf(asOwner, workspaceId, created.endpoint.id)).find((a) => a.attempt === 1),
    ))!;
  }

  it("loopback is refused unless the instance admin allowlists it (positive control), by address and by name", async () => {
    const r = await receiver();
    const { asOwner, ws } = await workspace();
    await setPolicy(true, []);
    try {
      expect((await attempt(asOwner, ws.id, r.url("/a"))).errorKind).toBe("blocked_address");
      // A name resolving to loopback: refused on the address the lookup returned.
      expect((await attempt(asOwner, ws.id, `http://localhost:${r.port}/b`)).errorKind).toBe("blocked_address");
      // IPv4-mapped IPv6 loopback, and the cloud metadata address.
      expect((await attempt(asOwner, ws.id, `http://[::ffff:127.0.0.1]:${r.port}/c`)).errorKind).toBe(
        "blocked_address",
      );
      expect((await attempt(asOwner, ws.id, "http://169.254.169.254/latest/meta-data/")).errorKind).toBe(
        "blocked_address",
      );
      expect(r.received).toHaveLength(0);
    } finally {
      await setPolicy(true, ["127.0.0.1/32"]);
    }
    // Positive control: the same receiver, allowlisted, gets it.
    const ok = await attempt(asOwner, ws.id, r.url("/d"));
    expect([ok.statusCode, ok.errorKind]).toEqual([200, null]);
    expect(r.received.map((x) => x.path)).toEqual(["/d"]);
    await r.close();
  });

  it("never calls a blocked port (worker metrics, Postgres, Redis), even on an allowlisted address", async () => {
    const { asOwner, ws } = await workspace();
    const refused = await attempt(asOwner, ws.id, forbidden.url("/metrics"));
    expect(refused.errorKind).toBe("blocked_port");
    expect(forbidden.received).toHaveLength(0);
  });

  it("plain http only while the instance allows it; redirects are not followed", async () => {
    const r = await receiver();
    const { asOwner, ws } = await workspace();
    const created = await asOwner.webhooks.create({ workspaceId: ws.id, url: r.url("/e"), events: ["secret.created"] });
    await setPolicy(false, ["127.0.0.1/32"]);
    try {
      await expect(
        asOwner.webhooks.create({ workspaceId: ws.id, url: r.url("/f"), events: ["secret.created"] }),
      ).rejects.toThrow(/url: must start with https:\/\//);
      await asOwner.webhooks.test({ workspaceId: ws.id, endpointId: created.endpoint.id });
      const refused = await until(
        "the refused attempt",
        async () => (await attemptsOf(asOwner, ws.id, created.endpoint.id))[0],
      );
      expect(refused.errorKind).toBe("scheme");
    } finally {
      await setPolicy(true, ["127.0.0.1/32"]);
    }
    r.script.push(302);
    const redirected = await attempt(asOwner, ws.id, r.url("/g"));
    expect(redirected.errorKind).toBe("redirect_not_followed");
    await new Promise((res) => setTimeout(res, 300));
    // Only the endpoint itself was called (a retry may have followed); never the redirect's target.
    expect(r.received.length).toBeGreaterThanOrEqual(1);
    expect(new Set(r.received.map((x) => x.path))).toEqual(new Set(["/g"]));
    await r.close();
  });

  it("the address check covers private, link-local and special ranges, and passes public addresses (unit of the guard)", async () => {
    const none = { allowedNetworks: [] };
    for (const a of [
      "127.0.0.1",
      "10.1.2.3",
      "172.16.0.1",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fe80::1",
      "fd00::1",
      "::ffff:10.0.0.1",
      "::ffff:7f00:1",
    ]) {
      expect([a, addressRefusal(a, none)]).toEqual([a, "blocked_address"]);
    }
    for (const a of ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
      expect([a, addressRefusal(a, none)]).toEqual([a, null]);
    expect(addressRefusal("127.0.0.1", { allowedNetworks: ["127.0.0.1/32"] })).toBeNull();
    expect(addressRefusal("127.0.0.2", { allowedNetworks: ["127.0.0.1/32"] })).toBe("blocked_address");
    // postWebhook refuses before any connection is tried.
    expect(
      (
        await postWebhook(
          "http://10.0.0.1/",
          "{}",
          {},
          { allowHttp: true, allowedNetworks: [], blockedPorts: [] },
          1000,
        )
      ).errorKind,
    ).toBe("blocked_address");
  });
});

describe("webhook management", () => {
  it("another tenant's endpoint is NOT_FOUND even through the caller's own workspace, and nothing changes", async () => {
    const a = await workspace();
    const b = await workspace();
    const theirs = await b.asOwner.webhooks.create({
      workspaceId: b.ws.id,
      url: "https://hooks.example.test/b",
      events: ["run.finished"],
    });
    const id = { workspaceId: a.ws.id, endpointId: theirs.endpoint.id };
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e as { code?: string }).code ?? String(e),
      );
    expect(await code(a.asOwner.webhooks.deliveries(id))).toBe("NOT_FOUND");
    expect(await code(a.asOwner.webhooks.update({ ...id, url: "https://evil.example.test/" }))).toBe("NOT_FOUND");
    expect(await code(a.asOwner.webhooks.rotateSecret(id))).toBe("NOT_FOUND");
    expect(await code(a.asOwner.webhooks.test(id))).toBe("NOT_FOUND");
    expect(await code(a.asOwner.webhooks.delete(id))).toBe("NOT_FOUND");
    const [after] = (await b.asOwner.webhooks.list({ workspaceId: b.ws.id })).items;
    expect(after).toMatchObject({
      id: theirs.endpoint.id,
      url: "https://hooks.example.test/b",
      secretRotatedAt: theirs.endpoint.secretRotatedAt,
    });
  });

  it("refuses a bad URL or event naming the field, storing nothing; a maintainer is FORBIDDEN; the audit log records create/rotate/delete", async () => {
    const { asOwner, ws } = await workspace();
    const bad = [
      { url: "ftp://hooks.example.test/", events: ["run.finished"], message: /url: must start with https/ },
      {
        url: "https://user:pw@hooks.example.test/",
        events: ["run.finished"],
        message: /url: must not carry a user name or password/,
      },
      { url: "not a url", events: ["run.finished"], message: /url: must be an absolute URL/ },
      { url: "https://hooks.example.test/", events: [], message: /events: pick at least one event/ },
      { url: "https://hooks.example.test/", events: ["secret.read"], message: /events: each must be one of/ },
    ];
    for (const b of bad) {
      await expect(
        asOwner.webhooks.create({ workspaceId: ws.id, url: b.url, events: b.events as never }),
      ).rejects.toThrow(b.message);
    }
    expect((await asOwner.webhooks.list({ workspaceId: ws.id })).items).toEqual([]);
    await expect(admin.instance.update({ webhooksAllowedNetworks: ["127.0.0.1"] })).rejects.toThrow(
      /webhooksAllowedNetworks: "127.0.0.1" is not a network in CIDR form/,
    );
    expect((await admin.instance.get()).webhooks.allowedNetworks).toEqual(["127.0.0.1/32"]);

    const maintainer = (await createUserWithPersonalWorkspace(db, {
      email: `hook-m-${randomUUID()}@example.test`,
      name: "M",
      passwordHash: null,
    }))!;
    await addParticipant(deps, asOwner, { workspaceId: ws.id, user: maintainer, role: "maintainer" });
    await expect(
      apiCaller(deps, maintainer.id).webhooks.create({
        workspaceId: ws.id,
        url: "https://hooks.example.test/",
        events: ["run.finished"],
      }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });

    const created = await asOwner.webhooks.create({
      workspaceId: ws.id,
      url: "https://hooks.example.test/path?token=RECEIVER-TOKEN",
      events: ["run.finished"],
    });
    await asOwner.webhooks.rotateSecret({ workspaceId: ws.id, endpointId: created.endpoint.id });
    await asOwner.webhooks.update({ workspaceId: ws.id, endpointId: created.endpoint.id, enabled: false });
    await asOwner.webhooks.delete({ workspaceId: ws.id, endpointId: created.endpoint.id });
    const audit = await asOwner.audit.list({ workspaceId: ws.id });
    const actions = audit.items.filter((e) => e.action.startsWith("webhook."));
    expect(actions.map((e) => e.action).sort()).toEqual([
      "webhook.created",
      "webhook.deleted",
      "webhook.secret_rotated",
      "webhook.updated",
    ]);
    // The audit names the origin only: a receiver's token in the URL stays out of the log.
    expect(JSON.stringify(audit)).not.toContain("RECEIVER-TOKEN");
    expect(actions.every((e) => e.targetName === "https://hooks.example.test")).toBe(true);
  });
});
