/**
 * "Secrets stay secret" (DESIGN.md §3, Write-only and Encryption): a secrets session driven through
 * the UI with recognisable marker values, then a search for those markers — plain, base64 at any
 * alignment, base64url, URL-encoded, hex, JSON-escaped — in every HTTP request and response the
 * browser exchanged, the web and worker logs, every row of the database and Postgres' files on
 * disk (WAL included, so values written and then deleted count too), and every Redis key plus its
 * append-only file. The browser seals values with HPKE, so not even request bodies may carry one.
 */
import { randomBytes } from "node:crypto";
import { existsSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, test, type Page } from "@playwright/test";
import { signUp } from "../support/app";
import { dataDir } from "../../playwright.config";
import {
  contains,
  describeFindings,
  dumpDatabase,
  dumpRedis,
  findMarkers,
  markerForms,
  readFilesUnder,
  readLogs,
  recordTraffic,
  type THaystack,
} from "../support/leak-scan";
import { databaseUrl, redisUrl } from "../support/services";

const tag = randomBytes(4).toString("hex");
const marker = (label: string) => `lsk-marker-${label}-${randomBytes(12).toString("hex")}`;

/** Plants `value` in a fake haystack in every encoding a leak could take; all must be found. */
function plantedEverywhere(value: string): THaystack[] {
  const bytes = Buffer.from(value, "utf8");
  const out: THaystack[] = [
    { surface: "fake", where: "plain", text: `{"value":"${value}"}` },
    { surface: "fake", where: "url-encoded", text: `/api/x?input=${encodeURIComponent(JSON.stringify({ value }))}` },
    { surface: "fake", where: "form-encoded", text: new URLSearchParams({ password: "x", value }).toString() },
    { surface: "fake", where: "hex", text: `\\x${Buffer.concat([Buffer.from("pre"), bytes]).toString("hex")}` },
    { surface: "fake", where: "binary", text: Buffer.concat([Buffer.from([0, 1, 2, 255]), bytes, Buffer.from([0])]) },
  ];
  for (const prefix of ["", "a", "ab", "abc"]) {
    const blob = Buffer.concat([Buffer.from(prefix), bytes, Buffer.from("!?>")]);
    out.push({ surface: "fake", where: `base64 after ${prefix.length}`, text: `data:${blob.toString("base64")}` });
    out.push({
      surface: "fake",
      where: `base64url after ${prefix.length}`,
      text: `token=${blob.toString("base64url")}`,
    });
  }
  return out;
}

test("the leak scanner finds a marker in every encoding, and nothing where it is absent", () => {
  // Characters that encode differently in every scheme: spaces, +, /, =, &, a non-ASCII letter.
  const tricky = `lsk-marker-self test/+=&ü-${randomBytes(6).toString("hex")}`;
  for (const value of [marker("self"), tricky]) {
    for (const hay of plantedEverywhere(value)) {
      const found = findMarkers([hay], [value]);
      expect(found.length, `${hay.where} of ${value}`).toBeGreaterThan(0);
      expect(found.every((f) => f.surface === "fake" && f.where === hay.where && f.marker === value)).toBe(true);
    }
    // A near miss is not a hit, in any encoding.
    // (One hex digit inside the value: base64 cores cannot see the last few bits of either end.)
    const at = value.length - 4;
    const nearMiss = `${value.slice(0, at)}${value[at] === "0" ? "1" : "0"}${value.slice(at + 1)}`;
    expect(findMarkers(plantedEverywhere(nearMiss), [value])).toEqual([]);
  }
  // The base64 forms cover all three alignments and both alphabets; short needles are dropped.
  const forms = markerForms(tricky).flatMap((f) => f.form.split("+"));
  for (const form of [
    "plain",
    "url-encoded",
    "form-encoded",
    "hex",
    "base64@0",
    "base64@1",
    "base64@2",
    "base64url@0",
    "base64url@1",
    "base64url@2",
  ]) {
    expect(forms).toContain(form);
  }
  expect(markerForms("short").map((f) => f.form)).not.toContain("plain");
  expect(markerForms("short").every((f) => f.needle.length >= 8)).toBe(true);
  // Where it was found is reported.
  const [hit] = findMarkers([{ surface: "log", where: "web.log:7", text: `before ${tricky} after` }], [tricky]);
  expect(hit).toMatchObject({ surface: "log", where: "web.log:7", form: expect.stringMatching(/^plain/), offset: 7 });
});

const signUpAs = (page: Page, email: string) =>
  signUp(page, { name: "Leak Tester", email, password: "correct horse battery" });

/** Runs `action` and waits for the tRPC call to `procedure` it causes to succeed. */
async function expectCall(page: Page, procedure: string, action: () => Promise<void>) {
  const response = page.waitForResponse(
    (r) =>
      r.request().method() === "POST" && new URL(r.url()).pathname.split("/").pop()!.split(",").includes(procedure),
  );
  await action();
  const r = await response;
  expect(r.status(), `${procedure}: ${await r.text().catch(() => "")}`).toBe(200);
}

async function addSecret(page: Page, procedure: string, name: string, value: string, opts: { base64?: boolean } = {}) {
  await page.getByRole("button", { name: "Add secret" }).click();
  const dialog = page.getByRole("dialog", { name: "Add secret" });
  await dialog.getByLabel("Name", { exact: true }).fill(name);
  await dialog.getByLabel("Value", { exact: true }).fill(value);
  if (opts.base64) await dialog.getByLabel("Encode as base64").check();
  await expectCall(page, procedure, () => dialog.getByRole("button", { name: "Save secret" }).click());
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Overwrite ${name}`, exact: true })).toBeVisible();
}

async function overwriteSecret(page: Page, procedure: string, name: string, value: string) {
  await page.getByRole("button", { name: `Overwrite ${name}`, exact: true }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("New value", { exact: true }).fill(value);
  await expectCall(page, procedure, () => dialog.getByRole("button", { name: "Save new value" }).click());
  await expect(dialog).toHaveCount(0);
}

async function deleteSecret(page: Page, procedure: string, name: string) {
  await page.getByRole("button", { name: `Delete ${name}`, exact: true }).click();
  const dialog = page.getByRole("dialog");
  await expectCall(page, procedure, () => dialog.getByRole("button", { name: "Delete secret" }).click());
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("button", { name: `Delete ${name}`, exact: true })).toHaveCount(0);
}

const shot = (page: Page, name: string) =>
  page.screenshot({ path: test.info().outputPath(`${name}.png`), fullPage: true });

test("no secret value reaches the server, its logs, the database or Redis", async ({ page, baseURL }) => {
  test.setTimeout(240_000);
  const names = {
    alpha: `LEAK_ALPHA_${tag}`,
    beta: `LEAK_BETA_${tag}`,
    gamma: `LEAK_GAMMA_${tag}`,
    delta: `LEAK_DELTA_${tag}`,
    mine: `LEAK_MINE_${tag}`,
  };
  const markers = {
    alpha: marker("alpha"),
    beta: marker("beta"),
    alphaOverwritten: marker("alpha2"),
    gamma: marker("gamma"),
    delta: marker("delta"),
    mine: marker("mine"),
    mineOverwritten: marker("mine2"),
  };
  const allMarkers = Object.values(markers);
  for (const m of allMarkers) for (const n of Object.values(names)) expect(m.includes(n) || n.includes(m)).toBe(false);

  // Everything to the app is fetched by the recorder on the browser's behalf, so even responses the
  // page aborts (Next.js prefetches, cancelled queries) are scanned as the server sent them.
  const appHost = new URL(baseURL!).host;
  const traffic = await recordTraffic(page, { intercept: (url) => url.host === appHost });

  // An organization and a workspace to hold workspace secrets.
  await signUpAs(page, `leak-${tag}@example.org`);
  await page.getByLabel("Organization name").fill(`Leak Org ${tag}`);
  await page.getByRole("button", { name: "Create organization" }).click();
  await expect(page).toHaveURL(/\/orgs\/[0-9a-f-]{36}$/);
  await page.getByLabel("Workspace name").fill(`Leak WS ${tag}`);
  await page.getByRole("button", { name: "Create workspace" }).click();
  await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}$/);
  const workspaceUrl = new URL(page.url());

  // Workspace secrets: add two, list them after a reload, overwrite one, import a .env, delete one.
  await traffic.idle();
  await page.goto(`${workspaceUrl.pathname}?tab=secrets`);
  await addSecret(page, "secrets.create", names.alpha, markers.alpha);
  await addSecret(page, "secrets.create", names.beta, markers.beta);
  await traffic.idle();
  await page.reload();
  for (const name of [names.alpha, names.beta])
    await expect(page.getByRole("button", { name: `Overwrite ${name}`, exact: true })).toBeVisible();
  await overwriteSecret(page, "secrets.update", names.alpha, markers.alphaOverwritten);

  await page.getByRole("button", { name: "Import .env" }).click();
  const importDialog = page.getByRole("dialog", { name: "Import .env" });
  await importDialog
    .getByLabel(".env contents")
    .fill(`# leak test\n${names.gamma}=${markers.gamma}\nexport ${names.delta}='${markers.delta}'\n`);
  await expect(importDialog.getByRole("table", { name: "Import preview" })).toContainText(names.delta);
  await expectCall(page, "secrets.import", () =>
    importDialog.getByRole("button", { name: "Import 2 secrets" }).click(),
  );
  await expect(importDialog).toHaveCount(0);
  for (const name of [names.gamma, names.delta])
    await expect(page.getByRole("button", { name: `Overwrite ${name}`, exact: true })).toBeVisible();

  await deleteSecret(page, "secrets.delete", names.beta);
  await traffic.idle();
  await page.reload();
  await expect(page.getByRole("button", { name: `Overwrite ${names.alpha}`, exact: true })).toBeVisible();
  await shot(page, "workspace-secrets");

  // A user secret on "Your secrets": add it, overwrite it (the new value base64-encoded in the browser).
  await traffic.idle();
  await page.goto("/settings/secrets");
  await addSecret(page, "userSecrets.create", names.mine, markers.mine);
  await page.getByRole("button", { name: `Overwrite ${names.mine}`, exact: true }).click();
  const overwrite = page.getByRole("dialog");
  await overwrite.getByLabel("New value", { exact: true }).fill(markers.mineOverwritten);
  await overwrite.getByLabel("Encode as base64").check();
  await expectCall(page, "userSecrets.update", () => overwrite.getByRole("button", { name: "Save new value" }).click());
  await expect(overwrite).toHaveCount(0);
  await traffic.idle();
  await page.reload();
  await expect(page.getByRole("button", { name: `Overwrite ${names.mine}`, exact: true })).toBeVisible();
  await shot(page, "user-secrets");

  // Let in-flight responses, log lines and queued jobs land.
  await traffic.idle();
  await traffic.stop();
  await new Promise((r) => setTimeout(r, 2_000));

  // ---- The scanner itself works on these very markers (no vacuous pass).
  for (const m of allMarkers) {
    for (const hay of plantedEverywhere(m))
      expect(findMarkers([hay], allMarkers).length, `planted ${hay.where}`).toBeGreaterThan(0);
  }

  // ---- HTTP traffic.
  const http = traffic.haystacks();
  const exchanges = traffic.exchanges;
  const trpc = exchanges.filter((e) => new URL(e.url).pathname.startsWith("/api/trpc/"));
  const mutations = trpc.filter((e) => e.method === "POST");
  // Every response from the app was read from the server by the recorder, aborted ones included.
  const appExchanges = exchanges.filter((e) => new URL(e.url).host === appHost);
  expect(
    appExchanges
      .filter((e) => !e.intercepted || e.responseBody === null)
      .map((e) => `${e.method} ${e.url}: ${e.bodyError}`),
  ).toEqual([]);
  const unreadTrpc = trpc.filter((e) => e.responseBody === null);
  expect(exchanges.filter((e) => e.resourceType === "document" && e.responseBody !== null).length).toBeGreaterThan(3);
  expect(
    unreadTrpc.map((e) => `${e.url}: ${e.bodyError}`),
    "every tRPC response body was read",
  ).toEqual([]);
  expect(
    mutations.filter((e) => e.requestBody === null).map((e) => e.url),
    "every tRPC POST body was read",
  ).toEqual([]);
  const requestBodies = http.filter((h) => h.surface === "request body");
  const responseBodies = http.filter((h) => h.surface === "response body");
  // Positive controls: the values went out sealed, and the names came back in the lists.
  const sealedOut = requestBodies.filter((h) =>
    /lsv1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+/.test(String(h.text)),
  );
  expect(sealedOut.length, "request bodies with sealed envelopes").toBeGreaterThanOrEqual(6);
  for (const name of Object.values(names)) {
    expect(contains(requestBodies, name), `${name} in a request body`).toBe(true);
    expect(contains(responseBodies, name), `${name} in a response body`).toBe(true);
  }
  const httpFindings = findMarkers(http, allMarkers);
  expect(httpFindings, describeFindings(httpFindings)).toEqual([]);

  // ---- Logs.
  const logs = readLogs(dataDir);
  const logFiles = new Set(logs.map((l) => l.where.split(":")[0]));
  expect([...logFiles]).toEqual(expect.arrayContaining(["web.log", "worker.log"]));
  expect(logs.filter((l) => String(l.text).trim() !== "").length).toBeGreaterThan(2);
  const logFindings = findMarkers(logs, allMarkers);
  expect(logFindings, describeFindings(logFindings)).toEqual([]);

  // ---- Database: every row of every table, and Postgres' files on disk (heap, WAL, its own logs).
  const db = await dumpDatabase(databaseUrl());
  const tableNames = db.tables.map((t) => `${t.schema}.${t.table}`);
  expect(tableNames).toEqual(expect.arrayContaining(["public.secrets", "public.audit_events", "public.users"]));
  expect(
    db.tables.find((t) => t.schema === "drizzle")?.rows ?? 0,
    "drizzle's migrations table is dumped",
  ).toBeGreaterThan(0);
  const secretRows = db.haystacks.filter((h) => h.where.startsWith("public.secrets "));
  for (const name of [names.alpha, names.gamma, names.delta, names.mine]) {
    expect(
      secretRows.some((h) => String(h.text).includes(name) && String(h.text).includes("lsv1.")),
      `${name} stored sealed`,
    ).toBe(true);
  }
  expect(
    contains(
      db.haystacks.filter((h) => h.where.startsWith("public.audit_events ")),
      names.beta,
    ),
    "the deletion is audited",
  ).toBe(true);
  const dbFindings = findMarkers(db.haystacks, allMarkers);
  expect(dbFindings, describeFindings(dbFindings)).toEqual([]);

  const pgFiles = readFilesUnder(join(dataDir, "postgres"), "postgres files");
  expect(
    pgFiles.some((f) => f.where.startsWith("pg_wal/")),
    "the WAL is scanned",
  ).toBe(true);
  expect(
    contains(pgFiles, names.delta) && contains(pgFiles, "lsv1."),
    "the secrets' rows are in the scanned files",
  ).toBe(true);
  const pgFileFindings = findMarkers(pgFiles, allMarkers);
  expect(pgFileFindings, describeFindings(pgFileFindings)).toEqual([]);

  // ---- Redis: every key by type, and the append-only file.
  const redis = await dumpRedis(redisUrl());
  expect(redis.keys.length, "Redis holds keys").toBeGreaterThan(0);
  expect(
    redis.keys.some((k) => /system/.test(k.key) && ["hash", "zset", "list", "stream"].includes(k.type)),
    "BullMQ's system queue is there",
  ).toBe(true);
  expect(new Set(redis.keys.map((k) => k.type)).size, "several key types were read").toBeGreaterThan(1);
  const redisFindings = findMarkers(redis.haystacks, allMarkers);
  expect(redisFindings, describeFindings(redisFindings)).toEqual([]);

  const redisDir = join(dataDir, "redis");
  const redisFiles = readFilesUnder(redisDir, "redis files");
  const aof = redisFiles.filter((f) => /appendonly|\.aof/.test(f.where));
  expect(
    aof.reduce((n, f) => n + f.text.length, 0),
    "the append-only file has content",
  ).toBeGreaterThan(0);
  expect(existsSync(redisDir) && statSync(redisDir).isDirectory()).toBe(true);
  const redisFileFindings = findMarkers(redisFiles, allMarkers);
  expect(redisFileFindings, describeFindings(redisFileFindings)).toEqual([]);

  const coverage = {
    markers: allMarkers.length,
    forms: markerForms(markers.alpha).length,
    http: {
      exchanges: exchanges.length,
      trpc: trpc.length,
      readFromServerByRecorder: exchanges.filter((e) => e.intercepted).length,
      abortedByPage: exchanges.filter((e) => e.failure !== null).length,
      requestBodies: requestBodies.length,
      sealedRequestBodies: sealedOut.length,
      responseBodies: responseBodies.length,
      unreadBodies: exchanges
        .filter((e) => e.responseBody === null)
        .map((e) => `${e.method} ${e.url} ${e.status ?? "-"} ${e.failure ?? e.bodyError}`),
      webSocketFrames: traffic.webSocketFrames.length,
    },
    logs: Object.fromEntries([...logFiles].map((f) => [f, logs.filter((l) => l.where.startsWith(`${f}:`)).length])),
    database: { tables: db.tables.length, rows: db.haystacks.length, perTable: db.tables },
    postgresFiles: { files: pgFiles.length, bytes: pgFiles.reduce((n, f) => n + f.text.length, 0) },
    redis: {
      keys: redis.keys.length,
      types: [...new Set(redis.keys.map((k) => k.type))],
      keyNames: redis.keys.map((k) => `${k.type} ${k.key}`),
    },
    redisFiles: redisFiles.map((f) => `${f.where} (${f.text.length} bytes)`),
  };
  await test
    .info()
    .attach("leak-scan-coverage.json", { body: JSON.stringify(coverage, null, 2), contentType: "application/json" });
  console.log(`leak scan coverage: ${JSON.stringify(coverage, null, 2)}`);
});
