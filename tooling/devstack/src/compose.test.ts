import { existsSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { z } from "zod";

/**
 * No Docker engine runs in tests or CI, so this is the check that docker-compose.yml, the two
 * Dockerfiles and .env.example agree with each other and with what the apps read. Each check
 * returns the problems it finds; the real files must have none, and the second half of the file
 * breaks each rule on a copy to prove the check can fail.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const read = (path: string) => readFileSync(join(root, path), "utf8");

// What each service must be given; optional settings too, as pass-throughs, or they could not be
// set at all. web: apps/web/src/env.ts plus PORT (Next's server); worker: apps/worker/src/env.ts;
// migrate: packages/db migrate-cli. A test below keeps these lists in step with the env.ts files.
const NEEDS = {
  web: [
    "DATABASE_URL",
    "REDIS_URL",
    "LOCKSTEP_QUEUE_PREFIX",
    "LOCKSTEP_SEAL_KEYS",
    "NEXTAUTH_SECRET",
    "NEXTAUTH_URL",
    "PORT",
    "LOCKSTEP_SIGNUP",
    "LOCKSTEP_SIGNUP_ENABLED",
    "LOCKSTEP_TRUST_PROXY",
    "LOCKSTEP_MAX_BODY_BYTES",
    "LOCKSTEP_TOKEN_MAX_DAYS",
    "LOCKSTEP_SIGNUPS_PER_ADDRESS_PER_HOUR",
    "OIDC_ISSUER",
    "OIDC_CLIENT_ID",
    "OIDC_CLIENT_SECRET",
    "OIDC_DISPLAY_NAME",
    "LOCKSTEP_LOCAL_PIPELINE_ROOTS",
  ],
  worker: [
    "DATABASE_URL",
    "REDIS_URL",
    "LOCKSTEP_QUEUE_PREFIX",
    "LOCKSTEP_OPEN_KEYS_FILE",
    "LOCKSTEP_FINGERPRINT_KEY_FILE",
    "LOCKSTEP_SEAL_KEYS",
    "LOCKSTEP_BWRAP",
    "LOCKSTEP_RUN_UID_BASE",
    "LOCKSTEP_SLURM_RUN_USER",
    "LOCKSTEP_DATA_DIR",
    "LOCKSTEP_LOCAL_PIPELINE_ROOTS",
    "WORKER_PORT",
    "WORKER_HOST",
    "WORKER_CONCURRENCY",
    "HEALTH_CHECK_INTERVAL_MS",
    "MONITOR_INTERVAL_MS",
    "SWEEP_INTERVAL_MS",
    "LOCKSTEP_WEBHOOK_RETRY_BASE_MS",
    "LOCKSTEP_WEBHOOK_TIMEOUT_MS",
    "LOCKSTEP_WEBHOOK_DRAIN_INTERVAL_MS",
    "LOCKSTEP_NEXTFLOW_CACHE",
    "JAVA_CMD",
    "LOG_LEVEL",
  ],
  migrate: ["DATABASE_URL", "LOCKSTEP_SETUP_CODE"],
} as const;

// Secrets compose must refuse to start without (`${VAR:?message}`), and the service that gets each.
const REQUIRED_SECRETS = [
  ["web", "LOCKSTEP_SEAL_KEYS"],
  ["web", "NEXTAUTH_SECRET"],
  ["worker", "LOCKSTEP_SEAL_KEYS"],
] as const;

// Declared by an env.ts, never given by compose: the worker refuses its private keys from the
// environment, and the unsandboxed switch is the hostile-pipeline tests' positive control only.
const NEVER_GIVEN = {
  web: [] as string[],
  worker: ["LOCKSTEP_OPEN_KEYS", "LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS", "NODE_ENV"],
} as const;

const DOCKERFILES = { web: "apps/web/Dockerfile", worker: "apps/worker/Dockerfile" } as const;
const NODE_IMAGE = "node:20-bookworm-slim";

// ---------------------------------------------------------------------------------------------
// docker-compose.yml

const ZEnvironment = z.union([
  z.array(z.string()),
  z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
]);
const ZService = z.object({
  image: z.string().optional(),
  build: z
    .union([z.string(), z.object({ context: z.string().optional(), dockerfile: z.string().optional() })])
    .optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: ZEnvironment.optional(),
  env_file: z.unknown().optional(),
  depends_on: z
    .union([z.array(z.string()), z.record(z.string(), z.object({ condition: z.string().optional() }).nullable())])
    .optional(),
  healthcheck: z
    .object({ test: z.union([z.string(), z.array(z.string())]).optional(), disable: z.boolean().optional() })
    .optional(),
  volumes: z.array(z.unknown()).optional(),
  profiles: z.array(z.string()).optional(),
  secrets: z.array(z.union([z.string(), z.object({ source: z.string() })])).optional(),
  security_opt: z.array(z.string()).optional(),
});
const ZCompose = z.object({
  services: z.record(z.string(), ZService),
  secrets: z.record(z.string(), z.object({ file: z.string() })).optional(),
});
type TCompose = z.infer<typeof ZCompose>;
type TService = z.infer<typeof ZService>;

/** Both compose forms: `KEY: value` and `- KEY=value`. */
function environmentOf(service: TService | undefined): Map<string, string> {
  const env = service?.environment;
  if (!env) return new Map();
  if (Array.isArray(env)) {
    return new Map(
      env.map((entry) => [entry.split("=")[0]!, entry.includes("=") ? entry.slice(entry.indexOf("=") + 1) : ""]),
    );
  }
  return new Map(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
}

/** Both forms: a list of names (condition service_started) or a map with conditions. */
function dependsOn(service: TService | undefined): Map<string, string> {
  const deps = service?.depends_on;
  if (!deps) return new Map();
  if (Array.isArray(deps)) return new Map(deps.map((name) => [name, "service_started"]));
  return new Map(Object.entries(deps).map(([name, d]) => [name, d?.condition ?? "service_started"]));
}

function healthcheckText(service: TService | undefined): string | undefined {
  const hc = service?.healthcheck;
  if (!hc || hc.disable || !hc.test) return undefined;
  const test = Array.isArray(hc.test) ? hc.test : [hc.test];
  if (test[0] === "NONE" || test.length === 0) return undefined;
  return test.join(" ");
}

function dockerfileOf(service: TService | undefined): string | undefined {
  const build = service?.build;
  if (build === undefined) return undefined;
  if (typeof build === "string") return join(build, "Dockerfile");
  return join(build.context ?? ".", build.dockerfile ?? "Dockerfile");
}

function checkServices(compose: TCompose): string[] {
  const s = compose.services;
  const problems: string[] = [];
  for (const name of ["postgres", "redis", "migrate", "web", "worker"]) {
    if (!s[name]) problems.push(`service ${name} is missing`);
    else if (s[name].profiles?.length) problems.push(`service ${name} must not hide behind a profile`);
  }
  if (!s.postgres?.image?.startsWith("postgres:17")) problems.push("postgres must run postgres:17");
  if (!s.postgres?.volumes?.length) problems.push("postgres needs a volume for its data");
  if (!s.redis?.image?.startsWith("redis:7")) problems.push("redis must run redis:7");
  if (!s.redis?.volumes?.length) problems.push("redis needs a volume for its append-only file");
  const redisCommand = [s.redis?.command ?? []].flat().join(" ");
  if (!/--appendonly yes/.test(redisCommand)) problems.push("redis must run with --appendonly yes");
  if (!/--maxmemory-policy noeviction/.test(redisCommand))
    problems.push("redis must run with --maxmemory-policy noeviction (BullMQ)");
  return problems;
}

function checkHealthchecks(compose: TCompose): string[] {
  const expected: Record<string, RegExp[]> = {
    postgres: [/pg_isready/],
    redis: [/redis-cli/, /ping/],
    web: [/:3000\/api\/health\b/],
    worker: [/:3001\/health\b/],
  };
  return Object.entries(expected).flatMap(([name, patterns]) => {
    const text = healthcheckText(compose.services[name]);
    if (text === undefined) return [`${name} has no healthcheck`];
    return patterns.filter((p) => !p.test(text)).map((p) => `${name} healthcheck does not match ${p}`);
  });
}

function checkBuilds(compose: TCompose, exists: (path: string) => boolean): string[] {
  const problems: string[] = [];
  for (const [name, dockerfile] of Object.entries(DOCKERFILES)) {
    const service = compose.services[name];
    const build = service?.build;
    if (typeof build !== "object") {
      problems.push(`${name} must build with { context, dockerfile }`);
      continue;
    }
    if ((build.context ?? ".") !== ".") problems.push(`${name} must build with the repo root as context`);
    if (dockerfileOf(service) !== dockerfile)
      problems.push(`${name} must build ${dockerfile}, not ${dockerfileOf(service)}`);
    if (!exists(dockerfile)) problems.push(`${dockerfile} does not exist`);
  }
  const migrate = compose.services.migrate;
  const worker = compose.services.worker;
  const sameImage = migrate?.image !== undefined && migrate.image === worker?.image;
  const sameBuild = dockerfileOf(migrate) === DOCKERFILES.worker;
  if (!sameImage && !sameBuild) problems.push("migrate must run the worker image");
  // The worker image holds @lockstep/db (with its migrations) under node_modules.
  const script = /node_modules\/@lockstep\/db\/(\S*migrate-cli\.ts)/.exec([migrate?.command ?? []].flat().join(" "));
  if (!script) problems.push("migrate must run @lockstep/db's migrate-cli");
  else if (!exists(join("packages/db", script[1]!)))
    problems.push(`migrate runs ${script[1]}, which packages/db does not have`);
  return problems;
}

function checkDependencies(compose: TCompose): string[] {
  const expected: Record<string, Record<string, string>> = {
    migrate: { postgres: "service_healthy" },
    web: { postgres: "service_healthy", redis: "service_healthy", migrate: "service_completed_successfully" },
    worker: { postgres: "service_healthy", redis: "service_healthy", migrate: "service_completed_successfully" },
  };
  return Object.entries(expected).flatMap(([name, wants]) => {
    const deps = dependsOn(compose.services[name]);
    return Object.entries(wants)
      .filter(([dep, condition]) => deps.get(dep) !== condition)
      .map(
        ([dep, condition]) =>
          `${name} must depend on ${dep} with condition ${condition} (has ${deps.get(dep) ?? "none"})`,
      );
  });
}

function checkEnvironment(compose: TCompose): string[] {
  const problems: string[] = [];
  for (const [name, vars] of Object.entries(NEEDS)) {
    const env = environmentOf(compose.services[name]);
    for (const v of vars) if (!env.has(v)) problems.push(`${name} is not given ${v}`);
  }
  for (const [name, v] of REQUIRED_SECRETS) {
    const value = environmentOf(compose.services[name]).get(v) ?? "";
    if (!value.startsWith(`\${${v}:?`))
      problems.push(`${name}.${v} must be \${${v}:?message} so compose refuses to start without it`);
  }
  // The private keyring is the worker's alone: not by name, not through an env_file, not under
  // another name carrying the same interpolated value.
  const web = compose.services.web;
  const webEnv = environmentOf(web);
  if (webEnv.has("LOCKSTEP_OPEN_KEYS")) problems.push("web must not be given LOCKSTEP_OPEN_KEYS");
  for (const [k, value] of webEnv)
    if (value.includes("LOCKSTEP_OPEN_KEYS")) problems.push(`web.${k} carries LOCKSTEP_OPEN_KEYS`);
  if (web?.env_file !== undefined)
    problems.push("web must not load an env_file (it would receive every variable, private keys included)");
  for (const [name, vars] of Object.entries(NEVER_GIVEN)) {
    const env = environmentOf(compose.services[name]);
    for (const v of vars) if (env.has(v)) problems.push(`${name} must not be given ${v}`);
  }
  // The worker's private keyring arrives as a mounted file (a compose secret), named by LOCKSTEP_OPEN_KEYS_FILE.
  const worker = compose.services.worker;
  const keysFile = environmentOf(worker).get("LOCKSTEP_OPEN_KEYS_FILE") ?? "";
  const mounted = (worker?.secrets ?? []).map((x) => (typeof x === "string" ? x : x.source));
  const secretName = keysFile.startsWith("/run/secrets/") ? keysFile.slice("/run/secrets/".length) : null;
  if (!secretName || !mounted.includes(secretName) || !compose.secrets?.[secretName]) {
    problems.push(
      "worker.LOCKSTEP_OPEN_KEYS_FILE must name a compose secret mounted into the worker (/run/secrets/<name>)",
    );
  }
  // So does the fingerprint key (the web must never hold it: it would let the web test guesses).
  const fingerprintFile = environmentOf(worker).get("LOCKSTEP_FINGERPRINT_KEY_FILE") ?? "";
  const fingerprintSecret = fingerprintFile.startsWith("/run/secrets/")
    ? fingerprintFile.slice("/run/secrets/".length)
    : null;
  if (!fingerprintSecret || !mounted.includes(fingerprintSecret) || !compose.secrets?.[fingerprintSecret]) {
    problems.push(
      "worker.LOCKSTEP_FINGERPRINT_KEY_FILE must name a compose secret mounted into the worker (/run/secrets/<name>)",
    );
  }
  for (const [k, value] of webEnv)
    if (k.includes("FINGERPRINT") || value.includes("LOCKSTEP_FINGERPRINT_KEY"))
      problems.push(`web.${k} carries the fingerprint key`);
  if ((web as { secrets?: unknown[] } | undefined)?.secrets?.length) problems.push("web must not mount any secret");
  // Redis requires a password: both URLs carry it, and compose refuses to start without one.
  for (const name of ["web", "worker"]) {
    const url = environmentOf(compose.services[name]).get("REDIS_URL") ?? "";
    if (!url.includes("${REDIS_PASSWORD:?")) problems.push(`${name}.REDIS_URL must carry \${REDIS_PASSWORD:?…}`);
  }
  const host = environmentOf(compose.services.worker).get("WORKER_HOST");
  if (host !== "0.0.0.0") problems.push(`worker WORKER_HOST must be 0.0.0.0 in a container (is ${host ?? "unset"})`);
  return problems;
}

// ---------------------------------------------------------------------------------------------
// .env.example

/** Every string in the parsed file: what compose interpolates (comments are not). */
function stringsIn(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(stringsIn);
  if (value !== null && typeof value === "object") return Object.values(value).flatMap(stringsIn);
  return [];
}

/** `${VAR}`, `${VAR:-x}`, `${VAR:?x}` and `$VAR`; `$$` is compose's escape for a literal `$`. */
function referencedVariables(strings: string[]): Set<string> {
  const names = new Set<string>();
  for (const m of strings.join("\n").matchAll(/\$(\$)?(?:\{([A-Za-z_][A-Za-z0-9_]*)|([A-Za-z_][A-Za-z0-9_]*))/g)) {
    if (m[1] === undefined) names.add((m[2] ?? m[3])!);
  }
  return names;
}

/** Variables .env.example documents: `VAR=…`, or commented out as `# VAR=…` for optional ones. */
function documentedVariables(text: string): Set<string> {
  return new Set([...text.matchAll(/^[ \t]*(?:#[ \t]*)?([A-Z][A-Z0-9_]*)=/gm)].map((m) => m[1]!));
}

function checkEnvExample(composeDocument: unknown, envExample: string): string[] {
  const documented = documentedVariables(envExample);
  const problems: string[] = [];
  for (const v of referencedVariables(stringsIn(composeDocument))) {
    if (!documented.has(v)) problems.push(`docker-compose.yml uses \${${v}} but .env.example does not document it`);
  }
  for (const v of new Set(Object.values(NEEDS).flat())) {
    if (!documented.has(v)) problems.push(`.env.example does not document ${v}`);
  }
  // A copied .env.example must not start anyone off with a known key.
  for (const [, v] of REQUIRED_SECRETS) {
    const line = new RegExp(`^${v}=(.*)$`, "m").exec(envExample);
    if (!line) problems.push(`.env.example must list ${v}= (empty) for the user to fill`);
    else if (line[1]!.trim() !== "") problems.push(`.env.example must leave ${v} empty, not ship a value`);
  }
  return problems;
}

// ---------------------------------------------------------------------------------------------
// Dockerfiles

type TInstruction = { keyword: string; args: string };
type TStage = { from: string; name: string | undefined; instructions: TInstruction[] };

/** Instructions with continuation lines joined; comments and parser directives dropped. */
function instructionsOf(dockerfile: string): TInstruction[] {
  const lines = dockerfile.split("\n").filter((l) => !/^\s*#/.test(l));
  const out: TInstruction[] = [];
  let current = "";
  for (const line of lines) {
    current += line.trimEnd();
    if (current.endsWith("\\")) {
      current = current.slice(0, -1) + " ";
      continue;
    }
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(current);
    if (m) out.push({ keyword: m[1]!.toUpperCase(), args: m[2]!.trim() });
    current = "";
  }
  return out;
}

function stagesOf(dockerfile: string): { args: Map<string, string>; stages: TStage[] } {
  const args = new Map<string, string>();
  const stages: TStage[] = [];
  for (const ins of instructionsOf(dockerfile)) {
    if (ins.keyword === "FROM") {
      const m = /^(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args);
      stages.push({ from: m?.[1] ?? ins.args, name: m?.[2], instructions: [] });
    } else if (stages.length === 0 && ins.keyword === "ARG") {
      const [k, v = ""] = ins.args.split("=");
      args.set(k!, v);
    } else {
      stages.at(-1)?.instructions.push(ins);
    }
  }
  return { args, stages };
}

function checkDockerfile(app: keyof typeof DOCKERFILES, dockerfile: string, pnpmVersion: string): string[] {
  const { args, stages } = stagesOf(dockerfile);
  const problems: string[] = [];
  const final = stages.at(-1);
  if (!final || stages.length < 3)
    return [`${app}: expected a multi-stage build (deps, build, runtime), found ${stages.length} stage(s)`];

  const names = new Set(stages.map((s) => s.name?.toLowerCase()));
  for (const stage of stages) {
    if (names.has(stage.from.toLowerCase())) continue;
    const image = stage.from.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (_, k: string) => args.get(k) ?? "");
    if (image !== NODE_IMAGE)
      problems.push(`${app}: stage ${stage.name ?? "?"} starts from ${image}, not ${NODE_IMAGE}`);
  }

  const all = stages.flatMap((s) => s.instructions);
  const runs = all.filter((i) => i.keyword === "RUN").map((i) => i.args);
  if (!runs.some((r) => r.includes(`npm install -g pnpm@${pnpmVersion}`))) {
    problems.push(`${app}: must install pnpm@${pnpmVersion} (package.json packageManager) with npm`);
  }
  if (!runs.some((r) => /pnpm install\b.*--frozen-lockfile/.test(r)))
    problems.push(`${app}: must run pnpm install --frozen-lockfile`);

  // Kubernetes' runAsNonRoot can only verify a numeric uid, so USER is numeric and not 0.
  const user = final.instructions.filter((i) => i.keyword === "USER").at(-1)?.args;
  if (!user) problems.push(`${app}: the final stage has no USER (it would run as root)`);
  else if (!/^\d+(:\d+)?$/.test(user) || user.split(":")[0] === "0")
    problems.push(`${app}: final USER must be a non-root numeric uid, is ${user}`);

  const copies = final.instructions.filter((i) => i.keyword === "COPY").map((i) => i.args);
  const cmd = final.instructions
    .filter((i) => i.keyword === "CMD" || i.keyword === "ENTRYPOINT")
    .map((i) => i.args)
    .join(" ");
  if (app === "web") {
    if (!all.some((i) => i.keyword === "ENV" && /NEXT_OUTPUT=standalone/.test(i.args)))
      problems.push("web: the build must set NEXT_OUTPUT=standalone");
    if (!copies.some((c) => /--from=\S+\s+\S*\.next\/standalone\/?\s/.test(c)))
      problems.push("web: the final stage must copy .next/standalone");
    if (!copies.some((c) => /\.next\/static\s+\S*\.next\/static/.test(c)))
      problems.push("web: the final stage must copy .next/static beside the server");
    if (!/server\.js/.test(cmd)) problems.push("web: the final stage must start the standalone server.js");
    // Client addresses and body limits: the front door must be loaded before Next (apps/web/front-door.mjs).
    if (!copies.some((c) => /front-door\.mjs/.test(c)) || !/--import\W+\S*front-door\.mjs/.test(cmd))
      problems.push("web: the final stage must copy front-door.mjs and start the server with --import of it");
  } else {
    if (!runs.some((r) => /pnpm deploy\b.*--filter @lockstep\/worker.*--prod/.test(r)))
      problems.push("worker: must pnpm deploy the worker with --prod");
    if (!/tsx/.test(cmd) || !/src\/main\.ts/.test(cmd))
      problems.push("worker: the final stage must run src/main.ts with tsx");
  }
  return problems;
}

/** The stages before `build` are written to be identical in both files so BuildKit shares them. */
function sharedPrefix(dockerfile: string): string {
  return dockerfile.slice(dockerfile.indexOf("ARG NODE_IMAGE"), dockerfile.indexOf("FROM deps AS build"));
}

// ---------------------------------------------------------------------------------------------

/** The text of one preset (`export const NAME = () => createEnv(…)`) in a package's env.ts, up to the next export. */
function presetText(envTs: string, name: string): string {
  const start = envTs.indexOf(`export const ${name} = `);
  if (start < 0) throw new Error(`no preset ${name}`);
  const next = envTs.indexOf("\nexport ", start + 1);
  return envTs.slice(start, next < 0 ? undefined : next);
}

/** Variables an app's env.ts declares: its upper-case schema keys (`NAME: z…`, `NAME: flag(…)`). */
function declaredVariables(envTs: string): string[] {
  return [...envTs.matchAll(/^\s+([A-Z][A-Z0-9_]*):\s/gm)].map((m) => m[1]!);
}

const composeText = read("docker-compose.yml");
const composeDocument: unknown = parse(composeText);
const compose = ZCompose.parse(composeDocument);
const envExample = read(".env.example");
const pnpmVersion = (JSON.parse(read("package.json")) as { packageManager: string }).packageManager.replace(
  /^pnpm@/,
  "",
);
const exists = (path: string) => existsSync(join(root, path));
const clone = (): TCompose => ZCompose.parse(parse(composeText));

describe("docker-compose.yml", () => {
  it("has the services, images and volumes", () => expect(checkServices(compose)).toEqual([]));
  it("gives postgres, redis, web and worker a healthcheck on the right endpoint", () =>
    expect(checkHealthchecks(compose)).toEqual([]));
  it("builds web and worker from their Dockerfiles, migrate from the worker image", () =>
    expect(checkBuilds(compose, exists)).toEqual([]));
  it("starts web and worker after healthy postgres/redis and a finished migration", () =>
    expect(checkDependencies(compose)).toEqual([]));
  it("gives each service what it reads, requires the secrets, keeps private keys off the web", () =>
    expect(checkEnvironment(compose)).toEqual([]));
  it.each([
    ["web", "apps/web/src/env.ts"],
    ["worker", "apps/worker/src/env.ts"],
  ] as const)("passes %s every variable its env.ts declares", (app, path) => {
    const envTs = read(path);
    // Variables of the presets an app extends (`extends: [dbEnv(), queueEnv()]`) are its own too.
    const presets = [
      ["dbEnv", "packages/db/src/env.ts"],
      ["queueEnv", "packages/queue/src/env.ts"],
    ].filter(([name]) => envTs.includes(`${name!}()`));
    const declared = [envTs, ...presets.map(([name, file]) => presetText(read(file!), name!))].flatMap(
      declaredVariables,
    );
    // Guards against the pattern silently matching nothing after a reformat.
    expect(declared).toContain("DATABASE_URL");
    const never = NEVER_GIVEN[app] as readonly string[];
    expect(declared.filter((v) => !(NEEDS[app] as readonly string[]).includes(v) && !never.includes(v))).toEqual([]);
  });
});

describe(".env.example", () => {
  it("documents every variable compose interpolates and every variable the services read", () =>
    expect(checkEnvExample(composeDocument, envExample)).toEqual([]));
});

describe("Dockerfiles", () => {
  it.each(Object.entries(DOCKERFILES) as [keyof typeof DOCKERFILES, string][])(
    "%s: multi-stage, pinned pnpm, non-root runtime",
    (app, path) => expect(checkDockerfile(app, read(path), pnpmVersion)).toEqual([]),
  );
  it("share identical base/manifests/deps stages", () => {
    const web = sharedPrefix(read(DOCKERFILES.web));
    expect(web).toMatch(/FROM base AS deps/);
    expect(sharedPrefix(read(DOCKERFILES.worker))).toBe(web);
  });
  it("ignore node_modules and local state in the build context", () => {
    const ignored = read(".dockerignore")
      .split("\n")
      .map((l) => l.trim());
    for (const entry of ["**/node_modules", ".data", ".tools", "**/.next", "**/.turbo", ".git", ".env"])
      expect(ignored).toContain(entry);
  });
});

// Each check above, shown failing on a broken copy: a check that cannot fail proves nothing.
describe("the checks catch", () => {
  it("a missing service or a redis that may evict jobs", () => {
    const c = clone();
    delete c.services.migrate;
    c.services.redis!.command = ["redis-server", "--appendonly", "yes"];
    expect(checkServices(c)).toEqual([
      "service migrate is missing",
      "redis must run with --maxmemory-policy noeviction (BullMQ)",
    ]);
  });

  it("a missing or disabled healthcheck and one on the wrong port", () => {
    const c = clone();
    delete c.services.postgres!.healthcheck;
    c.services.redis!.healthcheck = { disable: true };
    c.services.worker!.healthcheck = { test: ["CMD", "node", "-e", "fetch('http://127.0.0.1:3000/health')"] };
    expect(checkHealthchecks(c)).toEqual([
      "postgres has no healthcheck",
      "redis has no healthcheck",
      "worker healthcheck does not match /:3001\\/health\\b/",
    ]);
  });

  it("a Dockerfile that is not there and a migrate service on another image", () => {
    const c = clone();
    c.services.migrate = { ...c.services.migrate!, image: "postgres:17-alpine", build: undefined };
    expect(checkBuilds(c, (p) => p !== "apps/web/Dockerfile")).toEqual([
      "apps/web/Dockerfile does not exist",
      "migrate must run the worker image",
    ]);
  });

  it("a dependency that only waits for the container to start", () => {
    const c = clone();
    c.services.worker!.depends_on = ["postgres", "redis", "migrate"];
    expect(checkDependencies(c)).toHaveLength(3);
  });

  it("the private keyring reaching the web, a secret with a default, a missing variable", () => {
    const c = clone();
    const web = environmentOf(c.services.web);
    web.set("LOCKSTEP_OPEN_KEYS", "${LOCKSTEP_OPEN_KEYS}");
    web.set("NEXTAUTH_SECRET", "${NEXTAUTH_SECRET:-changeme}");
    web.delete("NEXTAUTH_URL");
    c.services.web!.environment = Object.fromEntries(web);
    expect(checkEnvironment(c)).toEqual([
      "web is not given NEXTAUTH_URL",
      "web.NEXTAUTH_SECRET must be ${NEXTAUTH_SECRET:?message} so compose refuses to start without it",
      "web must not be given LOCKSTEP_OPEN_KEYS",
      "web.LOCKSTEP_OPEN_KEYS carries LOCKSTEP_OPEN_KEYS",
    ]);
    const list = clone();
    list.services.web!.environment = [...environmentOf(list.services.web)]
      .map(([k, v]) => `${k}=${v}`)
      .concat("KEYS=${LOCKSTEP_OPEN_KEYS}");
    list.services.web!.env_file = ".env";
    expect(checkEnvironment(list)).toEqual([
      "web.KEYS carries LOCKSTEP_OPEN_KEYS",
      "web must not load an env_file (it would receive every variable, private keys included)",
    ]);
  });

  it("an undocumented variable, but not compose's $$ escape", () => {
    expect(referencedVariables(["${A:-x}", "$B", "$${C} $$D", "x ${E:?m}"])).toEqual(new Set(["A", "B", "E"]));
    const document = parse(composeText) as { services: { worker: { environment: Record<string, string> } } };
    document.services.worker.environment.NEW_SETTING = "${NEW_SETTING:-1}";
    expect(checkEnvExample(document, envExample.replace(/^# WORKER_CONCURRENCY=.*$/m, ""))).toEqual([
      "docker-compose.yml uses ${WORKER_CONCURRENCY} but .env.example does not document it",
      "docker-compose.yml uses ${NEW_SETTING} but .env.example does not document it",
      ".env.example does not document WORKER_CONCURRENCY",
    ]);
    // Comments are not interpolated, so a variable named only in one needs no documentation.
    expect(checkEnvExample(parse(`${composeText}\n# \${ONLY_IN_A_COMMENT}\n`), envExample)).toEqual([]);
    expect(
      checkEnvExample(
        composeDocument,
        envExample.replace(/^NEXTAUTH_SECRET=$/m, "NEXTAUTH_SECRET=not-a-secret-anymore"),
      ),
    ).toEqual([".env.example must leave NEXTAUTH_SECRET empty, not ship a value"]);
  });

  it("a root runtime, a lost standalone copy and an unpinned pnpm", () => {
    const web = read(DOCKERFILES.web);
    expect(checkDockerfile("web", web.replace(/^USER .*$/m, "USER root"), pnpmVersion)).toEqual([
      "web: final USER must be a non-root numeric uid, is root",
    ]);
    expect(checkDockerfile("web", web.replace(/^USER .*$/m, ""), pnpmVersion)).toEqual([
      "web: the final stage has no USER (it would run as root)",
    ]);
    expect(
      checkDockerfile(
        "web",
        web.replace(/^COPY --from=build \/app\/apps\/web\/\.next\/standalone .*$/m, ""),
        pnpmVersion,
      ),
    ).toEqual(["web: the final stage must copy .next/standalone"]);
    expect(
      checkDockerfile("web", web.replace(/"--import", "\.\/apps\/web\/front-door\.mjs", /, ""), pnpmVersion),
    ).toEqual(["web: the final stage must copy front-door.mjs and start the server with --import of it"]);
    expect(checkDockerfile("web", web, "9.0.0")).toEqual([
      "web: must install pnpm@9.0.0 (package.json packageManager) with npm",
    ]);
    const worker = read(DOCKERFILES.worker);
    // A USER in an earlier stage does not make the runtime stage non-root.
    const userOnlyInBuild = worker
      .replace(/^USER .*$/m, "")
      .replace("FROM deps AS build\n", "FROM deps AS build\nUSER 10001\n");
    expect(checkDockerfile("worker", userOnlyInBuild, pnpmVersion)).toEqual([
      "worker: the final stage has no USER (it would run as root)",
    ]);
    expect(
      checkDockerfile("worker", worker.replace(/^ARG NODE_IMAGE=.*$/m, "ARG NODE_IMAGE=node:22-alpine"), pnpmVersion),
    ).toEqual([
      "worker: stage base starts from node:22-alpine, not node:20-bookworm-slim",
      "worker: stage runtime starts from node:22-alpine, not node:20-bookworm-slim",
    ]);
  });
});
