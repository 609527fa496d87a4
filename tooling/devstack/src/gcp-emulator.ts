import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isPortFree } from "./ports";
import { say, StartupError } from "./log";

/**
 * The Google Secret Manager emulator the google-secret-manager provider is tested against: a Go
 * program serving Secret Manager's real v1 gRPC API (blackwell-systems/gcp-secret-manager-emulator),
 * built from source with `go install` into a project-local GOBIN — nothing goes into ~/go/bin,
 * and deleting `.data/tools` removes it.
 *
 * Pinned to v1.7.1 because it is the newest release the Go module proxy serves here: v1.7.2 (a
 * Dockerfile-only change) answers 403 from the proxy, as does the module's version list. v1.7.x is
 * also the first line whose ListSecrets understands `labels.<key>=<value>` filters, which cleanup
 * and the sweeper depend on (see docs/google.md).
 */
export const GCP_SM_EMULATOR_MODULE = "github.com/blackwell-systems/gcp-secret-manager-emulator";
export const GCP_SM_EMULATOR_VERSION = "v1.7.1";
export const GCP_SM_EMULATOR_NAME = `gcp-secret-manager-emulator ${GCP_SM_EMULATOR_VERSION}`;

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");

export type TGcpSecretManagerEmulator = { dir: string; server: string; version: string };
export type TStartedGcpSecretManagerEmulator = {
  /** `127.0.0.1:<port>`: what a gRPC client dials (plain text, no TLS, no credentials). */
  endpoint: string;
  host: string;
  port: number;
  stop: () => Promise<void>;
};

/** Builds (or reuses) the emulator in `<repo>/.data/tools/gcp-sm-emulator-<version>/`; returns its binary. */
export async function ensureGcpSecretManagerEmulator(opts: { dir?: string } = {}): Promise<TGcpSecretManagerEmulator> {
  const dir = opts.dir ?? join(repoRoot, ".data", "tools", `gcp-sm-emulator-${GCP_SM_EMULATOR_VERSION}`);
  const server = join(dir, "server");
  const found = { dir, server, version: GCP_SM_EMULATOR_VERSION };
  // The marker is written only after a build succeeded, so an interrupted build is redone, not reused.
  const marker = join(dir, ".lockstep-installed");
  if (existsSync(server) && existsSync(marker) && readFileSync(marker, "utf8").trim() === GCP_SM_EMULATOR_VERSION) {
    return found;
  }

  if (spawnSync("go", ["version"], { stdio: "ignore" }).status !== 0) {
    throw new StartupError(
      `the Google Secret Manager emulator (${GCP_SM_EMULATOR_NAME}, for the Google integration tests) is built with Go 1.24+: ` +
        "install Go (https://go.dev/dl/, or `sudo apt-get install golang-go` where that is recent enough) and make sure `go` is on PATH",
    );
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const env = { ...process.env, GOBIN: dir };
  const pkg = `${GCP_SM_EMULATOR_MODULE}/cmd/server`;
  say(
    `building ${GCP_SM_EMULATOR_NAME} (Google Secret Manager emulator for tests) with go install into ${dir} (a minute or two the first time)…`,
  );
  const direct = await run("go", ["install", `${pkg}@${GCP_SM_EMULATOR_VERSION}`], { env, cwd: dir });
  if (!direct.ok) {
    // `go install pkg@version` also reads the module's version list to check for a deprecation
    // notice, and a proxy that withholds the list (403) fails the whole install even though the
    // pinned version itself is served. Building inside a throwaway module that requires the pinned
    // version needs no list and resolves the same dependency versions (the emulator's go.mod).
    if (!/loading deprecation|@v\/list/.test(direct.output)) {
      throw new StartupError(`go install ${pkg}@${GCP_SM_EMULATOR_VERSION} failed: ${direct.output}`);
    }
    say(
      "the Go module proxy does not list the emulator's versions; building the pinned version from a go.mod that requires it instead…",
    );
    const build = join(dir, "build");
    mkdirSync(build, { recursive: true });
    writeFileSync(
      join(build, "go.mod"),
      `module lockstep.local/gcp-sm-emulator-build\n\ngo 1.24.0\n\nrequire ${GCP_SM_EMULATOR_MODULE} ${GCP_SM_EMULATOR_VERSION}\n`,
    );
    const viaModule = await run("go", ["install", "-mod=mod", pkg], { env, cwd: build });
    if (!viaModule.ok) throw new StartupError(`building ${GCP_SM_EMULATOR_NAME} failed: ${viaModule.output}`);
  }
  if (!existsSync(server)) throw new StartupError(`go install reported success but ${server} is missing`);
  writeFileSync(marker, `${GCP_SM_EMULATOR_VERSION}\n`);
  say(`${GCP_SM_EMULATOR_NAME} is ready`);
  return found;
}

/**
 * Runs the emulator on port `port` until stop(). It serves plain-text gRPC with no authentication
 * and keeps everything in memory, so each one starts empty. Clients dial 127.0.0.1; the emulator
 * itself has no listen-address option and binds every interface, so only give it throwaway data.
 * IAM checks stay off (IAM_MODE=off) whatever the caller's environment says.
 */
export async function startGcpSecretManagerEmulator(opts: {
  port: number;
  emulator?: TGcpSecretManagerEmulator;
}): Promise<TStartedGcpSecretManagerEmulator> {
  const { server } = opts.emulator ?? (await ensureGcpSecretManagerEmulator());
  const host = "127.0.0.1";
  const endpoint = `${host}:${opts.port}`;
  // Something already on the port would answer our readiness probe in the emulator's place.
  if (!(await isPortFree(opts.port, host))) {
    throw new StartupError(`port ${opts.port} is already in use; cannot start ${GCP_SM_EMULATOR_NAME} there`);
  }
  const output: string[] = [];
  const child = spawn(server, ["--port", String(opts.port), "--log-level", "warn"], {
    env: { ...process.env, IAM_MODE: "off" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const keep = (chunk: Buffer) => {
    output.push(...chunk.toString("utf8").split("\n").filter(Boolean));
    output.splice(0, Math.max(0, output.length - 20));
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  const exited = new Promise<number | null>((r) =>
    child.once("exit", (code, signal) => r(code ?? (signal ? 128 : null))),
  );
  child.once("error", (e) => output.push(`spawn failed: ${e.message}`));

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM"); // the emulator stops gracefully on SIGTERM
    const done = await Promise.race([
      exited.then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), 5_000)),
    ]);
    if (!done) child.kill("SIGKILL");
  };

  const deadline = Date.now() + 15_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<"waiting">((r) => setTimeout(() => r("waiting"), 100))]);
    if (early !== "waiting") {
      throw new StartupError(`${GCP_SM_EMULATOR_NAME} exited with code ${early}: ${output.slice(-5).join(" | ")}`);
    }
    if (await acceptsConnections(host, opts.port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StartupError(
        `${GCP_SM_EMULATOR_NAME} did not accept connections on ${endpoint} within 15 s: ${output.slice(-5).join(" | ")}`,
      );
    }
  }
  return { endpoint, host, port: opts.port, stop };
}

function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

function run(
  command: string,
  args: string[],
  opts: { env: NodeJS.ProcessEnv; cwd: string },
): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    const tail: string[] = [];
    const child = spawn(command, args, { ...opts, stdio: ["ignore", "pipe", "pipe"] });
    const keep = (chunk: Buffer) => {
      tail.push(...chunk.toString("utf8").split("\n").filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 10));
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.once("error", (e) => resolve({ ok: false, output: `${command} could not start: ${e.message}` }));
    child.once("exit", (code) => resolve({ ok: code === 0, output: tail.slice(-5).join(" | ") }));
  });
}

export type TStartedGcpSecretManagerRest = TStartedGcpSecretManagerEmulator & {
  /** `http://127.0.0.1:<httpPort>`: Secret Manager's REST API (the JSON mapping Google serves at secretmanager.googleapis.com). */
  restEndpoint: string;
};

/**
 * The same emulator module's `cmd/server-dual`: the gRPC server plus its REST gateway (generated
 * from Google's HTTP annotations by grpc-gateway). nf-lockstep reads secrets over REST (a JVM or
 * a task's curl has no gRPC client), so its tests need this one. Built beside `server` from the
 * pinned module, with the same fallback for a proxy that withholds the version list.
 */
export async function ensureGcpSecretManagerRestEmulator(opts: { dir?: string } = {}): Promise<string> {
  const { dir } = await ensureGcpSecretManagerEmulator(opts);
  const server = join(dir, "server-dual");
  const marker = join(dir, ".lockstep-installed-dual");
  if (existsSync(server) && existsSync(marker) && readFileSync(marker, "utf8").trim() === GCP_SM_EMULATOR_VERSION)
    return server;
  const build = join(dir, "build");
  mkdirSync(build, { recursive: true });
  if (!existsSync(join(build, "go.mod"))) {
    writeFileSync(
      join(build, "go.mod"),
      `module lockstep.local/gcp-sm-emulator-build\n\ngo 1.24.0\n\nrequire ${GCP_SM_EMULATOR_MODULE} ${GCP_SM_EMULATOR_VERSION}\n`,
    );
  }
  const pkg = `${GCP_SM_EMULATOR_MODULE}/cmd/server-dual`;
  say(`building ${GCP_SM_EMULATOR_NAME} with its REST gateway (cmd/server-dual) into ${dir}…`);
  const built = await run("go", ["install", "-mod=mod", pkg], { env: { ...process.env, GOBIN: dir }, cwd: build });
  if (!built.ok || !existsSync(server))
    throw new StartupError(`building ${pkg}@${GCP_SM_EMULATOR_VERSION} failed: ${built.output}`);
  writeFileSync(marker, `${GCP_SM_EMULATOR_VERSION}\n`);
  return server;
}

/** Runs server-dual: gRPC on `port`, REST on `httpPort`, both in memory, IAM off, until stop(). */
export async function startGcpSecretManagerRestEmulator(opts: {
  port: number;
  httpPort: number;
}): Promise<TStartedGcpSecretManagerRest> {
  const server = await ensureGcpSecretManagerRestEmulator();
  const host = "127.0.0.1";
  for (const port of [opts.port, opts.httpPort]) {
    if (!(await isPortFree(port, host)))
      throw new StartupError(`port ${port} is already in use; cannot start ${GCP_SM_EMULATOR_NAME} there`);
  }
  const output: string[] = [];
  const child = spawn(
    server,
    ["--grpc-port", String(opts.port), "--http-port", String(opts.httpPort), "--log-level", "warn"],
    {
      env: { ...process.env, IAM_MODE: "off" },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
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
  const restEndpoint = `http://${host}:${opts.httpPort}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<"waiting">((r) => setTimeout(() => r("waiting"), 100))]);
    if (early !== "waiting")
      throw new StartupError(
        `${GCP_SM_EMULATOR_NAME} (server-dual) exited with code ${early}: ${output.slice(-5).join(" | ")}`,
      );
    const ready = await fetch(`${restEndpoint}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ready && (await acceptsConnections(host, opts.port))) break;
    if (Date.now() > deadline) {
      await stop();
      throw new StartupError(
        `${GCP_SM_EMULATOR_NAME} (server-dual) did not answer on ${restEndpoint} within 15 s: ${output.slice(-5).join(" | ")}`,
      );
    }
  }
  return { endpoint: `${host}:${opts.port}`, host, port: opts.port, restEndpoint, stop };
}
