import { spawn, spawnSync } from "node:child_process";
import { createServer, request as httpRequest, type Server } from "node:http";
import { BatchClient, DescribeJobDefinitionsCommand, type JobDefinition } from "@aws-sdk/client-batch";
import { createHash, randomUUID } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ensureMoto,
  freePort,
  MOTO_ACCOUNT,
  startGcpSecretManagerRestEmulator,
  startMoto,
  type TStartedGcpSecretManagerRest,
  type TStartedMoto,
} from "@lockstep/devstack";
import { cloudHeadCommand, HEAD_CONFIG_VAR, HEAD_EXTENSION_VAR } from "./cloud-head";
import { installNextflow, NEXTFLOW_VERSION, nextflowJavaCommand } from "./nextflow-dist";
import {
  buildNfLockstep,
  googleVersionRef,
  NF_LOCKSTEP_ID,
  NF_LOCKSTEP_VERSION,
  SECRETS_MANIFEST_VAR,
  secretsManifest,
  type TNfLockstep,
} from "./nf-lockstep";

/**
 * nf-lockstep with the real pinned Nextflow, offline, against the stores' emulators: moto (AWS
 * Secrets Manager) and the Google Secret Manager emulator with its REST gateway. The head is
 * started by the real cloud-head prologue (bash), with a stand-in for the head image's Nextflow
 * jar, and runs its tasks with the local executor: the config, the workflow body and — for Google —
 * each task (through the wrapper snippet, curl against the emulator) must see the exact values,
 * compared by digest; and no value may appear in any file the run leaves, nor in the head's
 * environment. What only a real account shows is listed in docs/google.md and docs/aws.md.
 */
const root = mkdtempSync(join(tmpdir(), "lockstep-nf-lockstep-it-"));
const sha256 = (v: string) => createHash("sha256").update(v, "utf8").digest("hex");
const md5 = (v: string) => createHash("md5").update(v, "utf8").digest("hex");
// Recognisable markers, non-ASCII included, within Lockstep's value rules.
const TOKEN = `tok-MARKER-${randomUUID()}-é✓`;
const DB_PASS = `db-MARKER-${randomUUID()}`;
const UNUSED = `unused-MARKER-${randomUUID()}`;
const VALUES = [TOKEN, DB_PASS, UNUSED];

let libDir: string;
let ext: TNfLockstep;
let headHome: string;
let gsm: TStartedGcpSecretManagerRest;
let moto: TStartedMoto;

/** A stand-in for the head image's `$NXF_HOME/framework/<v>/nextflow-<v>-one.jar`: a jar whose Class-Path is the verified jars. */
function fakeHeadImageHome(): string {
  const home = join(root, "head-image-home");
  const dir = join(home, "framework", NEXTFLOW_VERSION);
  mkdirSync(dir, { recursive: true });
  mkdirSync(join(root, "empty"), { recursive: true });
  const classPath = readdirSync(libDir)
    .filter((f) => f.endsWith(".jar"))
    .map((f) => join(libDir, f))
    .join(" ");
  // Manifest lines are at most 72 bytes; longer ones continue on lines starting with a space.
  const line = `Class-Path: ${classPath}`;
  const chunks = [line.slice(0, 70), ...(line.slice(70).match(/.{1,69}/g) ?? []).map((c) => ` ${c}`)];
  writeFileSync(
    join(root, "one.mf"),
    `Manifest-Version: 1.0\nMain-Class: nextflow.cli.Launcher\n${chunks.join("\n")}\n`,
  );
  const r = spawnSync(
    "jar",
    [
      "--create",
      "--file",
      join(dir, `nextflow-${NEXTFLOW_VERSION}-one.jar`),
      "--manifest",
      join(root, "one.mf"),
      "-C",
      join(root, "empty"),
      ".",
    ],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  return home;
}

// A GString: Nextflow 24.10 also parses a project's nextflow.config once without its secrets
// binding (to read the manifest), where `secrets.X` is an empty ConfigObject; `.md5()` on that
// would fail the run for a reason that has nothing to do with secrets (stock Nextflow too).
const PIPELINE_CONFIG = `params.config_md5 = "\${secrets.API_TOKEN}".md5()\n`;
const pipeline = (processSecrets: string[], opts: { config?: string } = {}) => {
  const dir = mkdtempSync(join(root, "pipeline-"));
  writeFileSync(join(dir, "nextflow.config"), opts.config ?? PIPELINE_CONFIG);
  const exports = processSecrets.map((n) => `printf '%s' "$${n}" | sha256sum | cut -c1-64`).join("\n  ");
  writeFileSync(
    join(dir, "main.nf"),
    `workflow {
  println "CONFIG_MD5=" + params.config_md5
  println "BODY_MD5=" + secrets.API_TOKEN.md5()
  ${processSecrets.length > 0 ? "TASK() | map { it.trim().readLines().join(',') } | view { \"TASK_SHA256=\" + it }" : ""}
}
process TASK {
  ${processSecrets.map((n) => `secret '${n}'`).join("\n  ")}
  output: stdout
  script:
  '''
  ${exports}
  '''
}
`,
  );
  return dir;
};

type THeadRun = { status: number | null; out: string; runDir: string; tmp: string; env: Record<string, string> };

/** The command and environment of a head exactly as the cloud prologue starts it, with the local executor instead of Batch. */
function headInvocation(manifest: string, pipelineDir: string, extraEnv: Record<string, string>) {
  const runDir = mkdtempSync(join(root, "run-"));
  const tmp = join(runDir, "tmp");
  mkdirSync(tmp);
  const args = ["run", pipelineDir, "-work-dir", join(runDir, "work"), "-ansi-log", "false", "-offline"];
  const { command, env } = cloudHeadCommand(
    { kind: "google-batch", projectId: "p", region: "europe-west4", serviceAccount: "sa@p.iam.gserviceaccount.com" },
    args,
    {},
    {
      extensionJar: readFileSync(ext.jar),
      manifest,
    },
  );
  const headEnv = {
    ...env,
    // Batch needs a cloud; here tasks run on this machine.
    [HEAD_CONFIG_VAR]: Buffer.from("process.executor = 'local'\n").toString("base64"),
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: runDir,
    NXF_HOME: headHome,
    NXF_OFFLINE: "true",
    TMPDIR: tmp,
    ...extraEnv,
  };
  return { command, headEnv, runDir, tmp };
}

/** Runs a head exactly as the cloud prologue starts it, with the local executor instead of Batch. */
function runHead(manifest: string, pipelineDir: string, extraEnv: Record<string, string> = {}): THeadRun {
  const { command, headEnv, runDir, tmp } = headInvocation(manifest, pipelineDir, extraEnv);
  const r = spawnSync(command[0]!, command.slice(1), { cwd: runDir, env: headEnv, encoding: "utf8", timeout: 180_000 });
  return { status: r.status, out: `${r.stdout}\n${r.stderr}`, runDir, tmp, env: headEnv };
}

/** The same, without blocking this process: for heads that talk to a server the test itself runs. */
async function runHeadAsync(
  manifest: string,
  pipelineDir: string,
  extraEnv: Record<string, string> = {},
): Promise<THeadRun> {
  const { command, headEnv, runDir, tmp } = headInvocation(manifest, pipelineDir, extraEnv);
  const child = spawn(command[0]!, command.slice(1), { cwd: runDir, env: headEnv, timeout: 180_000 });
  let out = "";
  child.stdout.on("data", (c: Buffer) => (out += c.toString("utf8")));
  child.stderr.on("data", (c: Buffer) => (out += c.toString("utf8")));
  const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { status, out, runDir, tmp, env: headEnv };
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name));
}

/** Every form of every marker value (plain, base64, hex, URL-encoded) found in `text`. */
function leaks(text: string): string[] {
  return VALUES.flatMap((v) => [
    v,
    Buffer.from(v).toString("base64"),
    Buffer.from(v).toString("hex"),
    encodeURIComponent(v),
  ]).filter((form) => text.includes(form));
}

function expectNoValueIn(run: THeadRun) {
  const found: string[] = [];
  for (const file of [...filesUnder(run.runDir), ...filesUnder(headHome)]) {
    if (statSync(file).size > 20_000_000) continue;
    const hit = leaks(readFileSync(file).toString("latin1")).concat(leaks(readFileSync(file, "utf8")));
    if (hit.length > 0) found.push(file.slice(root.length));
  }
  expect(found).toEqual([]);
  expect(leaks(JSON.stringify(run.env))).toEqual([]);
  expect(leaks(run.out)).toEqual([]);
}

beforeAll(async () => {
  libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  ext = buildNfLockstep(libDir, join(root, "cache"), NEXTFLOW_VERSION);
  headHome = fakeHeadImageHome();
  gsm = await startGcpSecretManagerRestEmulator({ port: await freePort(), httpPort: await freePort() });
  moto = await startMoto({ port: await freePort(), moto: await ensureMoto() });
}, 600_000);

afterAll(async () => {
  await gsm?.stop();
  await moto?.stop();
});

describe("the build", () => {
  it("is reproducible from the sources and holds the extension index and the plugin manifest", () => {
    const again = buildNfLockstep(libDir, join(root, "cache-2"), NEXTFLOW_VERSION);
    expect(again.digest).toBe(ext.digest);
    expect(createHash("sha256").update(readFileSync(again.jar)).digest("hex")).toBe(
      createHash("sha256").update(readFileSync(ext.jar)).digest("hex"),
    );
    const listed = spawnSync("jar", ["--list", "--file", ext.jar], { encoding: "utf8" }).stdout;
    expect(listed).toContain("META-INF/extensions.idx");
    expect(listed).toContain("lockstep/nextflow/LockstepSecretsProvider.class");
    const plugin = join(
      ext.pluginsDir,
      `${NF_LOCKSTEP_ID}-${NF_LOCKSTEP_VERSION}`,
      "classes",
      "META-INF",
      "MANIFEST.MF",
    );
    expect(readFileSync(plugin, "utf8")).toContain(`Plugin-Id: ${NF_LOCKSTEP_ID}`);
    // Small enough to travel in the head's environment (Linux allows 128 KiB per variable).
    expect(readFileSync(ext.jar).toString("base64").length).toBeLessThan(40_000);
  });
});

describe("Google Secret Manager (emulator, REST gateway)", () => {
  const project = "projects/lockstep-it";
  const refs: Array<{ name: string; ref: string }> = [];

  async function createSecret(id: string, value: string) {
    const created = await fetch(`${gsm.restEndpoint}/v1/${project}/secrets?secretId=${id}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        replication: { userManaged: { replicas: [{ location: "europe-west4" }] } },
        labels: { "lockstep-managed": "true" },
      }),
    });
    expect(created.status).toBe(200);
    const added = await fetch(`${gsm.restEndpoint}/v1/${project}/secrets/${id}:addVersion`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ payload: { data: Buffer.from(value, "utf8").toString("base64") } }),
    });
    expect(added.status).toBe(200);
    // What the google-secret-manager provider records as the binding's location.
    return `${project}/secrets/${id}`;
  }

  beforeAll(async () => {
    const run = randomUUID();
    refs.push({ name: "API_TOKEN", ref: googleVersionRef(await createSecret(`lockstep-${run}-API_TOKEN`, TOKEN)) });
    refs.push({ name: "DB_PASS", ref: googleVersionRef(await createSecret(`lockstep-${run}-DB_PASS`, DB_PASS)) });
    refs.push({ name: "UNUSED", ref: googleVersionRef(await createSecret(`lockstep-${run}-UNUSED`, UNUSED)) });
  });

  const manifest = () => secretsManifest({ store: "google-secret-manager", endpoint: gsm.restEndpoint }, refs);

  it(
    "config, workflow body and each task get the exact values; nothing the run leaves holds one",
    { timeout: 240_000 },
    () => {
      const run = runHead(manifest(), pipeline(["API_TOKEN", "DB_PASS"]));
      expect(run.out).toContain(`CONFIG_MD5=${md5(TOKEN)}`);
      expect(run.out).toContain(`BODY_MD5=${md5(TOKEN)}`);
      expect(run.out).toContain(`TASK_SHA256=${sha256(TOKEN)},${sha256(DB_PASS)}`);
      expect(run.status).toBe(0);
      // The task's wrapper fetched by reference: the version names are in it, the values are not.
      const wrapper = filesUnder(join(run.runDir, "work")).find((f) => f.endsWith(".command.run"))!;
      const text = readFileSync(wrapper, "utf8");
      expect(text).toContain(`${refs[0]!.ref}:access`);
      expect(text).toContain(`${refs[1]!.ref}:access`);
      expect(text).not.toContain(refs[2]!.ref);
      // The jar is out of the environment Nextflow (and so every task) inherits; the manifest is references only.
      expect(run.out).not.toContain(HEAD_EXTENSION_VAR);
      expectNoValueIn(run);
    },
  );

  it("positive control: the leak scan finds a value when one is written to a file", () => {
    const dir = mkdtempSync(join(root, "control-"));
    writeFileSync(join(dir, "nested.txt"), `x ${Buffer.from(DB_PASS).toString("base64")} y`);
    expect(filesUnder(dir).flatMap((f) => leaks(readFileSync(f, "utf8")))).toHaveLength(1);
  });

  it(
    "a process secret the run was not given stops the run before any task starts, naming the secret and the process",
    { timeout: 240_000 },
    () => {
      const dir = mkdtempSync(join(root, "pipeline-"));
      writeFileSync(join(dir, "nextflow.config"), PIPELINE_CONFIG);
      // FIRST needs nothing and could start at once; SECOND asks for a secret the run lacks.
      writeFileSync(
        join(dir, "main.nf"),
        `workflow { FIRST() ; SECOND() }
process FIRST {
  script:
  'echo first ran'
}
process SECOND {
  secret 'API_TOKEN'
  secret 'NOT_GIVEN'
  script:
  'echo second ran'
}
`,
      );
      const run = runHead(manifest(), dir);
      expect(run.status).not.toBe(0);
      expect(run.out).toContain(
        "Lockstep: Secret 'NOT_GIVEN' (process SECOND) is not among this run's secrets (it has: API_TOKEN, DB_PASS, UNUSED)",
      );
      // No task of any process was written, let alone started.
      expect(filesUnder(join(run.runDir, "work")).filter((f) => /\.command\.(sh|run)$|\.exitcode$/.test(f))).toEqual(
        [],
      );
      expectNoValueIn(run);
    },
  );

  it("positive control: the same pipeline with every secret given runs both processes", { timeout: 240_000 }, () => {
    const dir = mkdtempSync(join(root, "pipeline-"));
    writeFileSync(join(dir, "nextflow.config"), PIPELINE_CONFIG);
    writeFileSync(
      join(dir, "main.nf"),
      "workflow { FIRST() ; SECOND() }\nprocess FIRST {\n  script:\n  'echo first ran'\n}\nprocess SECOND {\n  secret 'API_TOKEN'\n  secret 'DB_PASS'\n  script:\n  'echo second ran'\n}\n",
    );
    const run = runHead(manifest(), dir);
    expect(run.status).toBe(0);
    expect(filesUnder(join(run.runDir, "work")).filter((f) => f.endsWith(".exitcode"))).toHaveLength(2);
  });

  it("a config secret the run was not given stops the run before any task, naming it", { timeout: 240_000 }, () => {
    const run = runHead(
      manifest(),
      pipeline(["API_TOKEN"], { config: `params.config_md5 = "\${secrets.ABSENT_ONE}".md5()\n` }),
    );
    expect(run.status).not.toBe(0);
    expect(run.out).toContain("Secret 'ABSENT_ONE' is not among this run's secrets");
    expect(existsSync(join(run.runDir, "work"))).toBe(false);
  });

  it(
    "a secret the store cannot give fails with the secret's name and the HTTP status, no body",
    { timeout: 240_000 },
    () => {
      const broken = secretsManifest({ store: "google-secret-manager", endpoint: gsm.restEndpoint }, [
        { name: "API_TOKEN", ref: `${project}/secrets/lockstep-missing/versions/latest` },
      ]);
      const run = runHead(broken, pipeline([]));
      expect(run.status).not.toBe(0);
      expect(run.out).toMatch(/cannot read secret 'API_TOKEN': Google Secret Manager answered HTTP 404/);
    },
  );

  it(
    "refuses a manifest that would send requests elsewhere or break out of the task snippet's quotes",
    { timeout: 240_000 },
    () => {
      const elsewhere = secretsManifest(
        { store: "google-secret-manager", endpoint: "http://metadata.evil.example:80" },
        refs,
      );
      const away = runHead(elsewhere, pipeline([]));
      expect(away.status).not.toBe(0);
      expect(away.out).toContain("endpoint is for emulators only and must be http://127.0.0.1:<port>");
      const pwned = join(root, "PWNED");
      const quoted = secretsManifest({ store: "google-secret-manager", endpoint: gsm.restEndpoint }, [
        { name: "API_TOKEN", ref: `${project}/secrets/x'; touch ${pwned}; '/versions/latest` },
      ]);
      const broken = runHead(quoted, pipeline(["API_TOKEN"]));
      expect(broken.status).not.toBe(0);
      expect(broken.out).toContain("the reference of API_TOKEN is not a Secret Manager version name");
      expect(existsSync(pwned)).toBe(false);
    },
  );

  it(
    "the head without the manifest is stock Nextflow: config secrets resolve from the (empty) local store",
    { timeout: 240_000 },
    () => {
      // Positive control for the tests above: the same pipeline without Lockstep's provider gets no value.
      const run = runHead(manifest(), pipeline(["API_TOKEN"]), { [SECRETS_MANIFEST_VAR]: "" });
      expect(run.out).not.toContain(`CONFIG_MD5=${md5(TOKEN)}`);
      expect(run.status).not.toBe(0);
    },
  );

  it(
    "as a plugin in NXF_PLUGINS_DIR it loads offline and serves the workflow body and tasks (the config is read before plugins start)",
    { timeout: 240_000 },
    () => {
      const runDir = mkdtempSync(join(root, "plugin-run-"));
      const dir = pipeline(["API_TOKEN"], {
        config: `plugins { id '${NF_LOCKSTEP_ID}@${NF_LOCKSTEP_VERSION}' }\nparams.config_md5 = secrets.API_TOKEN ?: 'none'\n`,
      });
      const java = nextflowJavaCommand(libDir);
      const r = spawnSync(
        java[0]!,
        [...java.slice(1), "run", dir, "-work-dir", join(runDir, "work"), "-ansi-log", "false", "-offline"],
        {
          cwd: runDir,
          encoding: "utf8",
          timeout: 180_000,
          env: {
            PATH: process.env.PATH ?? "/usr/bin:/bin",
            HOME: runDir,
            NXF_HOME: join(runDir, "home"),
            NXF_PLUGINS_DIR: ext.pluginsDir,
            NXF_OFFLINE: "true",
            [SECRETS_MANIFEST_VAR]: manifest(),
          },
        },
      );
      const out = `${r.stdout}\n${r.stderr}`;
      expect(readFileSync(join(runDir, ".nextflow.log"), "utf8")).toContain(
        `Plugin started ${NF_LOCKSTEP_ID}@${NF_LOCKSTEP_VERSION}`,
      );
      expect(out).toContain("CONFIG_MD5=none");
      expect(out).toContain(`BODY_MD5=${md5(TOKEN)}`);
      expect(out).toContain(`TASK_SHA256=${sha256(TOKEN)}`);
      expect(r.status).toBe(0);
    },
  );
});

describe("AWS Secrets Manager (moto)", () => {
  const region = "eu-west-1";
  const refs: Array<{ name: string; ref: string }> = [];
  const creds = {
    AWS_ACCESS_KEY_ID: "testing",
    AWS_SECRET_ACCESS_KEY: "testing-secret",
    AWS_SESSION_TOKEN: "testing-session",
  };

  async function createSecret(name: string, value: string): Promise<string> {
    const res = await fetch(`${moto.endpoint}/`, {
      method: "POST",
      headers: {
        "content-type": "application/x-amz-json-1.1",
        "x-amz-target": "secretsmanager.CreateSecret",
        authorization: `AWS4-HMAC-SHA256 Credential=testing/20260101/${region}/secretsmanager/aws4_request, SignedHeaders=host, Signature=0`,
      },
      body: JSON.stringify({ Name: name, SecretString: value }),
    });
    expect(res.status).toBe(200);
    return ((await res.json()) as { ARN: string }).ARN;
  }

  beforeAll(async () => {
    const run = randomUUID();
    refs.push({ name: "API_TOKEN", ref: await createSecret(`lockstep-${run}/API_TOKEN`, TOKEN) });
    refs.push({ name: "DB_PASS", ref: await createSecret(`lockstep-${run}/DB_PASS`, DB_PASS) });
    expect(refs[0]!.ref).toMatch(new RegExp(`^arn:aws:secretsmanager:${region}:${MOTO_ACCOUNT}:secret:lockstep-`));
  });

  const manifest = () => secretsManifest({ store: "aws-secrets-manager", region, endpoint: moto.endpoint }, refs);

  it(
    "config and workflow body get the exact values, read by ARN with SigV4-signed GetSecretValue",
    { timeout: 240_000 },
    () => {
      const run = runHead(manifest(), pipeline([]), creds);
      expect(run.out).toContain(`CONFIG_MD5=${md5(TOKEN)}`);
      expect(run.out).toContain(`BODY_MD5=${md5(TOKEN)}`);
      expect(run.status).toBe(0);
      expectNoValueIn(run);
    },
  );

  it(
    "a task on an executor that is not AWS Batch is refused, naming why (Lockstep writes no values to a file)",
    { timeout: 240_000 },
    () => {
      const run = runHead(manifest(), pipeline(["DB_PASS"]), creds);
      expect(run.status).not.toBe(0);
      expect(run.out).toContain("tasks of this run can receive AWS secrets only on AWS Batch");
      expectNoValueIn(run);
    },
  );

  /** A loopback proxy in front of moto that keeps every request's path and body, so the test sees exactly what the head sent. */
  async function recordingProxy(): Promise<{
    endpoint: string;
    seen: Array<{ path: string; body: string }>;
    stop: () => Promise<void>;
  }> {
    const seen: Array<{ path: string; body: string }> = [];
    const target = new URL(moto.endpoint);
    const server: Server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        seen.push({ path: req.url ?? "", body: body.toString("utf8") });
        const up = httpRequest(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.on("error", () => res.writeHead(502).end());
        up.end(body);
      });
    });
    const port = await freePort();
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    return {
      endpoint: `http://127.0.0.1:${port}`,
      seen,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  }

  async function activeDefinitionsOf(runId: string): Promise<JobDefinition[]> {
    const batch = new BatchClient({
      region,
      endpoint: moto.endpoint,
      credentials: { accessKeyId: "testing", secretAccessKey: "testing" },
    });
    try {
      const all: JobDefinition[] = [];
      let nextToken: string | undefined;
      do {
        const page = await batch.send(new DescribeJobDefinitionsCommand({ status: "ACTIVE", nextToken }));
        all.push(...(page.jobDefinitions ?? []));
        nextToken = page.nextToken;
      } while (nextToken);
      return all.filter((d) => d.jobDefinitionName?.startsWith(`lockstep-${runId}-`));
    } finally {
      batch.destroy();
    }
  }

  /**
   * Two processes as nf-core writes them: SECRETS declares two secrets and picks its image with a
   * lazy string over `task` (resolved per task), PLAIN declares none and names a static image.
   * SECRETS waits for PLAIN's output, so PLAIN has finished when the local executor refuses
   * SECRETS. The trace records each task's container.
   */
  const taskPipeline = () => {
    const dir = mkdtempSync(join(root, "pipeline-"));
    writeFileSync(
      join(dir, "nextflow.config"),
      [
        "aws.batch.jobRole = 'arn:aws:iam::123456789012:role/lockstep-task'",
        "aws.batch.logsGroup = '/lockstep/tasks'",
        "aws.batch.cliPath = '/home/ec2-user/miniconda/bin/aws'",
        "aws.batch.volumes = '/scratch:/scratch:ro'",
        "trace { enabled = true; file = 'trace.txt'; fields = 'name,status,container' }",
        "",
      ].join("\n"),
    );
    writeFileSync(
      join(dir, "main.nf"),
      `workflow { PLAIN() | SECRETS }
process SECRETS {
  input: val x
  cpus 2
  container "quay.io/lockstep/tool:\${task.cpus}.\${task.attempt}"
  secret 'DB_PASS'
  secret 'API_TOKEN'
  script:
  'echo secrets'
}
process PLAIN {
  container 'quay.io/lockstep/plain:1.0'
  output: stdout
  script:
  'echo plain'
}
`,
    );
    return dir;
  };

  it(
    "a task that declares secrets runs as a per-run job definition with ECS secrets → the run's ARNs; a task that declares none keeps its image",
    { timeout: 240_000 },
    async () => {
      const runId = randomUUID();
      const proxy = await recordingProxy();
      try {
        const taskManifest = secretsManifest(
          {
            store: "aws-secrets-manager",
            region,
            endpoint: proxy.endpoint,
            runId,
            executionRoleArn: "arn:aws:iam::123456789012:role/lockstep-execution",
          },
          refs,
        );
        const run = await runHeadAsync(taskManifest, taskPipeline(), creds);
        // The local executor cannot give a task AWS secrets: the provider refuses SECRETS after its
        // container was resolved (what AWS Batch would submit); PLAIN runs.
        expect(run.status).not.toBe(0);
        expect(run.out).toContain("tasks of this run can receive AWS secrets only on AWS Batch");
        const defs = await activeDefinitionsOf(runId);
        expect(defs).toHaveLength(1);
        const def = defs[0]!;
        expect(def.jobDefinitionName).toMatch(new RegExp(`^lockstep-${runId}-[0-9a-f]{16}$`));
        expect(def.tags).toEqual({ "lockstep:run": runId });
        expect(def.platformCapabilities).toEqual(["EC2"]);
        const props = def.containerProperties!;
        // The image the process's lazy string gave for this task (cpus 2, attempt 1).
        expect(props.image).toBe("quay.io/lockstep/tool:2.1");
        expect(props.secrets).toEqual([
          { name: "API_TOKEN", valueFrom: refs[0]!.ref },
          { name: "DB_PASS", valueFrom: refs[1]!.ref },
        ]);
        expect(props.executionRoleArn).toBe("arn:aws:iam::123456789012:role/lockstep-execution");
        expect(props.jobRoleArn).toBe("arn:aws:iam::123456789012:role/lockstep-task");
        expect(props.command).toEqual(["true"]);
        expect(props.logConfiguration).toEqual({
          logDriver: "awslogs",
          options: { "awslogs-region": region, "awslogs-group": "/lockstep/tasks" },
        });
        expect(props.mountPoints).toEqual([
          { sourceVolume: "aws-cli", containerPath: "/home/ec2-user/miniconda", readOnly: true },
          { sourceVolume: "vol-1", containerPath: "/scratch", readOnly: true },
        ]);
        // The trace: the declaring task's container is the job definition, the other task's its own image.
        const trace = readFileSync(join(run.runDir, "trace.txt"), "utf8");
        expect(trace).toMatch(
          new RegExp(`SECRETS\\t[A-Z]+\\tjob-definition://${def.jobDefinitionName}:${def.revision}\\n`),
        );
        expect(trace).toMatch(/PLAIN\tCOMPLETED\tquay\.io\/lockstep\/plain:1\.0\n/);
        // Exactly one registration, and what the head sent holds ARNs, never a value.
        const registrations = proxy.seen.filter((r) => r.path === "/v1/registerjobdefinition");
        expect(registrations).toHaveLength(1);
        expect(registrations[0]!.body).toContain(refs[0]!.ref);
        expect(proxy.seen.map((r) => leaks(r.body)).flat()).toEqual([]);
        expectNoValueIn(run);
      } finally {
        await proxy.stop();
      }
    },
  );

  it(
    "a declared secret the run was not given stops the run before any task, and no job definition is registered",
    { timeout: 240_000 },
    async () => {
      const runId = randomUUID();
      const dir = taskPipeline();
      writeFileSync(
        join(dir, "main.nf"),
        readFileSync(join(dir, "main.nf"), "utf8").replace("secret 'DB_PASS'", "secret 'NOT_GIVEN'"),
      );
      const run = await runHeadAsync(
        secretsManifest(
          {
            store: "aws-secrets-manager",
            region,
            endpoint: moto.endpoint,
            runId,
            executionRoleArn: "arn:aws:iam::123456789012:role/x",
          },
          refs,
        ),
        dir,
        creds,
      );
      expect(run.status).not.toBe(0);
      expect(run.out).toContain("Lockstep: Secret 'NOT_GIVEN' (process SECRETS) is not among this run's secrets");
      expect(filesUnder(join(run.runDir, "work")).filter((f) => /\.command\.(sh|run)$|\.exitcode$/.test(f))).toEqual(
        [],
      );
      expect(await activeDefinitionsOf(runId)).toEqual([]);
    },
  );

  it(
    "positive control: without nf-lockstep's manifest the same task's container is its own image",
    { timeout: 240_000 },
    async () => {
      const run = await runHeadAsync("", taskPipeline(), { ...creds, [SECRETS_MANIFEST_VAR]: "" });
      const trace = readFileSync(join(run.runDir, "trace.txt"), "utf8");
      expect(trace).toMatch(/SECRETS\t[A-Z]+\tquay\.io\/lockstep\/tool:2\.1\n/);
      expect(trace).not.toContain("job-definition://");
    },
  );

  it(
    "refuses, naming the process, secrets together with containerOptions (a registered job definition cannot carry them); registers nothing",
    { timeout: 240_000 },
    async () => {
      const runId = randomUUID();
      const dir = taskPipeline();
      writeFileSync(
        join(dir, "main.nf"),
        readFileSync(join(dir, "main.nf"), "utf8").replace(
          "  cpus 2\n",
          "  cpus 2\n  containerOptions '--ulimit nofile=1024'\n",
        ),
      );
      const run = await runHeadAsync(
        secretsManifest(
          {
            store: "aws-secrets-manager",
            region,
            endpoint: moto.endpoint,
            runId,
            executionRoleArn: "arn:aws:iam::123456789012:role/x",
          },
          refs,
        ),
        dir,
        creds,
      );
      expect(run.status).not.toBe(0);
      expect(run.out).toContain("Lockstep: process SECRETS declares secrets and sets containerOptions");
      expect(await activeDefinitionsOf(runId)).toEqual([]);
    },
  );

  it(
    "refuses a manifest whose run id or execution role is not what it must be, naming the field",
    { timeout: 240_000 },
    () => {
      const badRole = secretsManifest(
        {
          store: "aws-secrets-manager",
          region,
          endpoint: moto.endpoint,
          runId: randomUUID(),
          executionRoleArn: "arn:aws:iam::123456789012:user/x",
        },
        refs,
      );
      const role = runHead(badRole, pipeline([]), creds);
      expect(role.status).not.toBe(0);
      expect(role.out).toContain("executionRoleArn must be an IAM role ARN");
      const badRun = secretsManifest(
        { store: "aws-secrets-manager", region, endpoint: moto.endpoint, runId: "../other-run" },
        refs,
      );
      const runIdRun = runHead(badRun, pipeline([]), creds);
      expect(runIdRun.status).not.toBe(0);
      expect(runIdRun.out).toContain("runId must be a UUID");
    },
  );

  it("positive control: the request scan finds a value a request carries", () => {
    const body = JSON.stringify({ containerProperties: { environment: [{ name: "X", value: TOKEN }] } });
    expect(leaks(body).length).toBeGreaterThan(0);
  });

  it("without credentials the head fails naming the secret, before any task", { timeout: 240_000 }, () => {
    // No key in the environment, no ECS endpoint, and the instance metadata service switched off (as AWS's SDKs allow).
    const run = runHead(manifest(), pipeline([]), { AWS_EC2_METADATA_DISABLED: "true" });
    expect(run.status).not.toBe(0);
    expect(run.out).toContain("cannot read secret 'API_TOKEN': no AWS credentials");
    expect(existsSync(join(run.runDir, "work"))).toBe(false);
  });
});
