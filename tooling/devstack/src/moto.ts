import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { say, StartupError } from "./log";

/**
 * moto is the AWS emulator the aws-secrets-manager provider and the aws-batch executor are tested
 * against. It is a Python package, so it lives in a project-local virtualenv pinned to one version:
 * nothing is installed into the system Python, and deleting `.data/tools` removes it.
 */
export const MOTO_VERSION = "5.2.5";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export type TMoto = { venv: string; server: string };
export type TStartedMoto = { endpoint: string; stop: () => Promise<void> };

/** Creates (or reuses) `<repo>/.data/tools/moto-<version>` with `moto[server]` installed; returns the server binary. */
export async function ensureMoto(opts: { dir?: string } = {}): Promise<TMoto> {
  const venv = opts.dir ?? join(repoRoot, ".data", "tools", `moto-${MOTO_VERSION}`);
  const server = join(venv, "bin", "moto_server");
  // The marker is written only after pip succeeded, so an interrupted install is redone, not reused.
  const marker = join(venv, ".lockstep-installed");
  const ready = () => existsSync(server) && existsSync(marker) && readFileSync(marker, "utf8").trim() === MOTO_VERSION;
  if (ready()) return { venv, server };

  // Two test processes starting at once must not both rebuild the same virtualenv.
  const lock = `${venv}.lock`;
  mkdirSync(dirname(venv), { recursive: true });
  for (let waited = 0; ; waited += 2_000) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than any install is left over from a killed process.
      const age = Date.now() - (statSync(lock, { throwIfNoEntry: false })?.mtimeMs ?? Date.now());
      if (age > 15 * 60_000) rmSync(lock, { recursive: true, force: true });
      if (waited > 10 * 60_000)
        throw new StartupError(`another process has been installing moto for 10 minutes (remove ${lock} if none is)`);
      if (waited === 0) say(`waiting for another process to finish installing moto in ${venv}…`);
      await new Promise((r) => setTimeout(r, 2_000));
      if (ready()) return { venv, server };
    }
  }
  try {
    if (ready()) return { venv, server };
    return await install(venv, server, marker);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

async function install(venv: string, server: string, marker: string): Promise<TMoto> {
  const python = ["python3", "python"].find((p) => spawnSync(p, ["--version"], { stdio: "ignore" }).status === 0);
  if (!python) {
    throw new StartupError(
      "moto (the AWS emulator for the AWS integration tests) needs Python 3.9+: install python3 and python3-venv (`sudo apt-get install python3-venv`)",
    );
  }
  rmSync(venv, { recursive: true, force: true });
  say(`creating a Python virtualenv for moto ${MOTO_VERSION} (AWS emulator for tests) in ${venv}…`);
  await run(python, ["-m", "venv", venv], "python3 -m venv (on Debian/Ubuntu install python3-venv)");
  say(`installing moto[server]==${MOTO_VERSION} from PyPI into it (about a minute the first time)…`);
  await run(
    join(venv, "bin", "pip"),
    ["install", "--disable-pip-version-check", "--no-input", "--quiet", `moto[server]==${MOTO_VERSION}`],
    "pip install moto[server] (needs access to PyPI or a configured index)",
  );
  if (!existsSync(server)) throw new StartupError(`pip installed moto but ${server} is missing`);
  writeFileSync(marker, `${MOTO_VERSION}\n`);
  say(`moto ${MOTO_VERSION} is ready`);
  return { venv, server };
}

/**
 * Runs moto's server on 127.0.0.1:<port> until stop(). One server emulates every service; each
 * server starts empty, so tests that share one must use their own names.
 */
export async function startMoto(opts: {
  port: number;
  moto?: TMoto;
  env?: Record<string, string>;
}): Promise<TStartedMoto> {
  const { server } = opts.moto ?? (await ensureMoto());
  const endpoint = `http://127.0.0.1:${opts.port}`;
  const output: string[] = [];
  const child = spawn(server, ["-H", "127.0.0.1", "-p", String(opts.port)], {
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, ...opts.env },
  });
  // Keep the last lines only, for the error message if it does not come up; moto logs every request.
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    output.splice(0, Math.max(0, output.length - 20));
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<number | null>((r) =>
    child.once("exit", (code, signal) => r(code ?? (signal ? 128 : null))),
  );

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
    ]);
    if (!done) child.kill("SIGKILL");
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<"waiting">((r) => setTimeout(() => r("waiting"), 200))]);
    if (early !== "waiting")
      throw new StartupError(`moto_server exited with code ${early}: ${output.slice(-5).join(" | ")}`);
    if (await answers(`${endpoint}/moto-api/`)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StartupError(`moto_server did not answer on ${endpoint} within 30 s: ${output.slice(-5).join(" | ")}`);
    }
  }
  return { endpoint, stop };
}

function answers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request(url, { method: "GET", timeout: 1_000 }, (res) => {
      res.resume();
      resolve((res.statusCode ?? 500) < 500);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
    req.end();
  });
}

function run(command: string, args: string[], what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const tail: string[] = [];
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer) => {
      tail.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 10));
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (e) => reject(new StartupError(`${what} could not start: ${e.message}`)));
    child.once("exit", (code) =>
      code === 0
        ? resolve()
        : reject(new StartupError(`${what} failed with code ${code}: ${tail.slice(-5).join(" | ")}`)),
    );
  });
}

/** moto's default account, in every ARN it makes. */
export const MOTO_ACCOUNT = "123456789012";

/**
 * Readies a moto server for Batch head jobs: switches it to the "simple" Batch backend (jobs are
 * recorded and marked SUCCEEDED — or FAILED when the server was started with
 * MOTO_SIMPLE_BATCH_FAIL_AFTER=0 — instead of running in Docker), and creates an unmanaged compute
 * environment with its service role and a job queue. Plain HTTP requests, as the SDKs send them:
 * moto routes by the signing scope and does not verify signatures.
 */
export async function prepareMotoBatch(
  endpoint: string,
  opts: { region: string; name: string },
): Promise<{ jobQueue: string; executionRoleArn: string }> {
  const config = await fetch(`${endpoint}/moto-api/config`, {
    method: "POST",
    body: JSON.stringify({ batch: { use_docker: false } }),
  });
  if (!config.ok) throw new StartupError(`moto refused the simple Batch backend: HTTP ${config.status}`);
  const auth = (service: string) =>
    `AWS4-HMAC-SHA256 Credential=testing/20250101/${opts.region}/${service}/aws4_request, SignedHeaders=host, Signature=0`;
  const createRole = async (roleName: string, service: string) => {
    const trust = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }],
    };
    const response = await fetch(endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", authorization: auth("iam") },
      body: new URLSearchParams({
        Action: "CreateRole",
        Version: "2010-05-08",
        RoleName: roleName,
        AssumeRolePolicyDocument: JSON.stringify(trust),
      }),
    });
    const text = await response.text();
    const arn = /<Arn>([^<]+)<\/Arn>/.exec(text)?.[1];
    if (!response.ok || !arn)
      throw new StartupError(`moto CreateRole answered ${response.status}: ${text.slice(0, 200)}`);
    return arn;
  };
  const batch = async (path: string, body: object) => {
    const response = await fetch(`${endpoint}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: auth("batch") },
      body: JSON.stringify(body),
    });
    const json = (await response.json().catch(() => ({}))) as Record<string, string>;
    if (!response.ok)
      throw new StartupError(`moto Batch ${path} answered ${response.status}: ${JSON.stringify(json).slice(0, 200)}`);
    return json;
  };
  const serviceRoleArn = await createRole(`${opts.name}-service`, "batch.amazonaws.com");
  const executionRoleArn = await createRole(`${opts.name}-execution`, "ecs-tasks.amazonaws.com");
  const ce = await batch("/v1/createcomputeenvironment", {
    computeEnvironmentName: `${opts.name}-ce`,
    type: "UNMANAGED",
    state: "ENABLED",
    serviceRole: serviceRoleArn,
  });
  await batch("/v1/createjobqueue", {
    jobQueueName: opts.name,
    state: "ENABLED",
    priority: 1,
    computeEnvironmentOrder: [{ order: 1, computeEnvironment: ce.computeEnvironmentArn }],
  });
  return { jobQueue: opts.name, executionRoleArn };
}
