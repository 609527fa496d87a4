import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, test } from "@playwright/test";
import { dataDir, pipelineRoot, ports } from "../../playwright.config";
import { grantInstanceAdmin } from "../support/admin";
import { Client } from "../support/client";

/**
 * The `lockstep` CLI as a user runs it (a subprocess of its bin entry) against the started app,
 * and the REST API it talks to: login with the token on stdin, a secret set from stdin and sealed
 * client-side, real local Nextflow runs followed with --wait and their exit codes.
 */
const bin = resolve(import.meta.dirname, "../../../packages/cli/bin/lockstep.mjs");
const baseUrl = `http://localhost:${ports.web}`;
const MARKER = `cli-marker-${randomUUID().slice(0, 12)}`;
const password = "correct horse battery";

/** Everything any CLI invocation or REST answer printed: the marker may be in none of it. */
const printed: string[] = [];

type TRun = { code: number; stdout: string; stderr: string };

function lockstep(home: string, args: string[], stdin = ""): Promise<TRun> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      // A fresh home: nothing but what `lockstep login` stores there; no token in the environment.
      env: { PATH: "/usr/local/bin:/usr/bin:/bin", HOME: home, XDG_CONFIG_HOME: join(home, ".config") },
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    // A CLI that hangs fails its step instead of the whole spec's time.
    const timer = setTimeout(() => child.kill("SIGKILL"), 240_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      printed.push(stdout, stderr);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(stdin);
  });
}

test("the lockstep CLI: login, secrets from stdin sealed client-side, launch --wait of real runs with their exit codes", async ({
  baseURL,
}) => {
  test.setTimeout(600_000);
  const tag = randomUUID().slice(0, 8);
  const email = `cli-${tag}@example.org`;
  const session = new Client("127.0.0.71");
  expect((await session.mutation("auth.signUp", { email, name: "Cli User", password })).status).toBe(200);
  // Local compute environments are an instance admin's to create.
  await grantInstanceAdmin(baseURL!, email);
  expect(await session.signIn(email, password)).toBeNull();
  const data = async <T>(r: Promise<{ status: number; body: { result?: { data: { json: T } }; error?: unknown } }>) => {
    const { status, body } = await r;
    expect(status, JSON.stringify(body.error)).toBe(200);
    return body.result!.data.json;
  };
  const org = await data<{ id: string }>(session.mutation("orgs.create", { name: `CLI ${tag}` }));
  const ws = await data<{ id: string; slug: string }>(
    session.mutation("workspaces.create", { orgId: org.id, name: `CLI runs ${tag}` }),
  );
  const ce = await data<{ id: string }>(
    session.mutation("computeEnvs.create", {
      workspaceId: ws.id,
      computeEnv: {
        kind: "local",
        name: "This machine",
        workDir: join(dataDir, "runs"),
        nextflowVersion: "24.10.8",
        env: {},
        maxRunSeconds: 3600,
        config: {},
      },
    }),
  );
  for (const [name, dir] of [
    ["Leaky", "leaky"],
    ["Fails", "fails"],
    ["Sleeps", "sleeps"],
  ]) {
    await data(
      session.mutation("pipelines.create", {
        workspaceId: ws.id,
        pipeline: { name, repository: join(pipelineRoot, dir!), defaultComputeEnvId: ce.id },
      }),
    );
  }
  const { token } = await data<{ token: string }>(
    session.mutation("me.tokens.create", { name: "cli", expiresInDays: 1, scopes: ["read", "write", "launch"] }),
  );

  const home = mkdtempSync(join(tmpdir(), "lockstep-cli-"));
  try {
    // Not signed in yet: exit 3.
    expect((await lockstep(home, ["whoami"])).code).toBe(3);

    const login = await lockstep(home, ["login", "--url", baseUrl], `${token}\n`);
    expect(login.code, login.stderr).toBe(0);
    expect(login.stdout).toContain(`as Cli User <${email}>`);
    expect(login.stdout).not.toContain(token);
    // No keychain answers on this machine (no D-Bus Secret Service): the token is in a 0600 file, in a 0700 directory.
    const credentials = join(home, ".config/lockstep/credentials.json");
    expect(statSync(credentials).mode & 0o777).toBe(0o600);
    expect(statSync(join(home, ".config/lockstep")).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(credentials, "utf8"))).toEqual({ [baseUrl]: token });
    expect((await lockstep(home, ["whoami", "--json"])).stdout).toContain(email);

    // The value comes on stdin, never argv; a value on the command line is refused.
    expect((await lockstep(home, ["secrets", "set", "DB_PASSWORD", MARKER, "-w", ws.id])).code).toBe(2);
    const set = await lockstep(home, ["secrets", "set", "DB_PASSWORD", "-w", ws.slug], `${MARKER}\n`);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain("DB_PASSWORD: created");
    const listed = await lockstep(home, ["secrets", "list", "-w", ws.id, "--json"]);
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ name: "DB_PASSWORD", lastUsed: null })]);
    // A value Nextflow cannot deliver is refused before anything is sent, naming the rule (exit 2).
    const bad = await lockstep(home, ["secrets", "set", "OTHER", "-w", ws.id], `a"b${MARKER}`);
    expect([bad.code, bad.stderr]).toEqual([2, expect.stringContaining("double quote")]);

    // A real local Nextflow run that prints its secret: followed to the end, exit 0, the value masked.
    const ok = await lockstep(home, ["launch", "Leaky", "-w", ws.id, "--wait"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stderr).toMatch(/SUCCEEDED/);
    expect(ok.stdout).toMatch(/^Run [0-9a-f-]{36} SUCCEEDED/);
    expect(ok.stderr).toContain("connecting with password");
    const runId = /Run ([0-9a-f-]{36})/.exec(ok.stdout)![1]!;
    const logs = await lockstep(home, ["runs", "logs", runId, "-w", ws.id]);
    expect(logs.code).toBe(0);
    expect(logs.stdout).toContain("connecting with password");

    // The secret was used (Seqera's lastUsed), and the REST API shows the same.
    const script = new Client("127.0.0.72");
    const bearer = { authorization: `Bearer ${token}` };
    const secrets = await script.json<{ pipelineSecrets: Array<{ lastUsed: string | null }> }>(
      `/api/v1/pipeline-secrets?workspaceId=${ws.id}`,
      { headers: bearer },
    );
    printed.push(JSON.stringify(secrets.body));
    expect(secrets.body.pipelineSecrets[0]!.lastUsed).not.toBeNull();
    const restLog = await script.send(`/api/v1/workspaces/${ws.id}/runs/${runId}/logs?limit=2000`, { headers: bearer });
    printed.push(restLog.text);
    expect(restLog.status).toBe(200);
    expect(restLog.text).toContain("connecting with password");

    // A run that fails: exit 10, with --json the run on stdout.
    const failed = await lockstep(home, ["launch", "Fails", "-w", ws.id, "--wait", "--json"]);
    expect(failed.code, failed.stderr).toBe(10);
    expect(JSON.parse(failed.stdout)).toEqual(expect.objectContaining({ status: "FAILED" }));

    // Launch without waiting, then cancel; the run list shows all three.
    const started = await lockstep(home, ["launch", "Sleeps", "-w", ws.id, "--param", "seconds=120", "--json"]);
    expect(started.code, started.stderr).toBe(0);
    const sleeper = JSON.parse(started.stdout) as { id: string; params: Record<string, unknown> };
    expect(sleeper.params).toEqual({ seconds: 120 });
    const cancel = await lockstep(home, ["runs", "cancel", sleeper.id, "-w", ws.id]);
    expect(cancel.code, cancel.stderr).toBe(0);
    const runs = JSON.parse((await lockstep(home, ["runs", "list", "-w", ws.id, "--json"])).stdout) as {
      items: Array<{ id: string; cancelRequested?: boolean }>;
    };
    expect(runs.items.map((r) => r.id)).toEqual(expect.arrayContaining([runId, sleeper.id]));
    const cancelled = await lockstep(home, ["runs", "logs", sleeper.id, "-w", ws.id, "--follow"]);
    expect(cancelled.code).toBe(11);

    // Errors keep their exit codes: not found (5).
    expect((await lockstep(home, ["launch", "Nope", "-w", ws.id])).code).toBe(5);

    // .env import, all or nothing; then delete.
    const envFile = join(home, "team.env");
    await import("node:fs/promises").then((fs) => fs.writeFile(envFile, `API_TOKEN=${MARKER}-api\nbad-name=x\n`));
    const refused = await lockstep(home, ["secrets", "import", envFile, "-w", ws.id]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("line 2");
    await import("node:fs/promises").then((fs) => fs.writeFile(envFile, `API_TOKEN=${MARKER}-api\n`));
    expect((await lockstep(home, ["secrets", "import", envFile, "-w", ws.id])).code).toBe(0);
    expect((await lockstep(home, ["secrets", "delete", "API_TOKEN", "-w", ws.id])).code).toBe(0);

    expect((await lockstep(home, ["logout"])).code).toBe(0);
    expect((await lockstep(home, ["whoami"])).code).toBe(3);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }

  // The marker reached the run (it printed it, masked) but no output, log line or answer.
  const all = printed.join("\n");
  expect(all).not.toContain(MARKER);
  expect(all).toContain("connecting with password");
});

test("the OpenAPI document is served and browsable in the app", async () => {
  const anyone = new Client("127.0.0.73");
  const doc = await anyone.json<{ openapi: string; paths: Record<string, unknown> }>("/api/v1/openapi.json");
  expect(doc.status).toBe(200);
  expect(doc.body.openapi).toBe("3.1.0");
  expect(Object.keys(doc.body.paths)).toEqual(
    expect.arrayContaining(["/pipeline-secrets", "/pipeline-secrets/{secretId}", "/pipeline-secrets/validate"]),
  );
  expect((await anyone.json<{ error: { code: string } }>("/api/v1/me")).status).toBe(401);

  const email = `docs-${randomUUID().slice(0, 8)}@example.org`;
  expect((await anyone.mutation("auth.signUp", { email, name: "Docs Reader", password })).status).toBe(200);
  expect(await anyone.signIn(email, password)).toBeNull();
  // A session cookie opens the docs page but not the REST API (bearer tokens only).
  const page = await anyone.send("/docs/api");
  expect(page.status).toBe(200);
  expect(page.text).toContain("Lockstep REST API");
  expect(page.text).toContain("ListPipelineSecrets");
  expect((await anyone.send("/api/v1/me")).status).toBe(401);
});
