import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { ExecutorError } from "./executor";

/**
 * nf-lockstep: Lockstep's secrets provider for Nextflow (Java sources in packages/launcher/nf-lockstep).
 * Built here with the JDK's javac against the verified pinned Nextflow jars, so a fresh machine
 * needs nothing beyond what runs Nextflow already needs plus a JDK, and nothing is downloaded.
 * The result is cached by a digest of the sources and the Nextflow version.
 */
export const NF_LOCKSTEP_VERSION = "0.1.0";
export const NF_LOCKSTEP_ID = "nf-lockstep";

const sourceRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "nf-lockstep");

export type TNfLockstep = {
  /** The jar for the class path: classes plus META-INF/extensions.idx (a system extension). */
  jar: string;
  /** `<plugins>/nf-lockstep-<version>`: the same classes laid out as a Nextflow plugin, for NXF_PLUGINS_DIR. */
  pluginsDir: string;
  digest: string;
};

function sources(): string[] {
  const dir = join(sourceRoot, "src", "lockstep", "nextflow");
  return readdirSync(dir)
    .filter((f) => f.endsWith(".java"))
    .sort()
    .map((f) => join(dir, f));
}

function digestOf(version: string): string {
  const h = createHash("sha256").update(`nextflow ${version}\nnf-lockstep ${NF_LOCKSTEP_VERSION}\n`);
  for (const file of [...sources(), join(sourceRoot, "resources", "extensions.idx")])
    h.update(file.slice(sourceRoot.length)).update("\0").update(readFileSync(file));
  return h.digest("hex").slice(0, 16);
}

function run(command: string, args: string[], cwd: string, what: string) {
  const r = spawnSync(command, args, { cwd, encoding: "utf8" });
  if (r.error)
    throw new Error(
      `cannot run ${command} to build nf-lockstep (${r.error.message}): a JDK 17+ (javac, jar) is needed`,
    );
  if (r.status !== 0)
    throw new Error(`${what} failed: ${(r.stdout + r.stderr).trim().split("\n").slice(-8).join(" | ")}`);
}

/**
 * Compiles nf-lockstep against `libDir` (a verified Nextflow lib directory) into
 * `<cacheDir>/nf-lockstep/<digest>/`, unless a finished build is there already.
 */
export function buildNfLockstep(libDir: string, cacheDir: string, nextflowVersion: string): TNfLockstep {
  const digest = digestOf(nextflowVersion);
  const out = join(cacheDir, "nf-lockstep", digest);
  const result: TNfLockstep = {
    jar: join(out, `${NF_LOCKSTEP_ID}-${NF_LOCKSTEP_VERSION}.jar`),
    pluginsDir: join(out, "plugins"),
    digest,
  };
  if (existsSync(join(out, ".built"))) return result;

  const work = `${out}.tmp-${process.pid}`;
  rmSync(work, { recursive: true, force: true });
  const classes = join(work, "classes");
  mkdirSync(join(classes, "META-INF"), { recursive: true });
  // -proc:none: no annotation processor from the class path runs; the extension index is ours.
  run(
    "javac",
    ["--release", "17", "-proc:none", "-encoding", "UTF-8", "-cp", `${libDir}/*`, "-d", classes, ...sources()],
    work,
    "javac (nf-lockstep)",
  );
  cpSync(join(sourceRoot, "resources", "extensions.idx"), join(classes, "META-INF", "extensions.idx"));
  const manifest = [
    "Manifest-Version: 1.0",
    "Plugin-Class: lockstep.nextflow.LockstepPlugin",
    `Plugin-Id: ${NF_LOCKSTEP_ID}`,
    `Plugin-Version: ${NF_LOCKSTEP_VERSION}`,
    "Plugin-Provider: Lockstep",
    `Plugin-Requires: >=${nextflowVersion}`,
    "",
  ].join("\n");
  writeFileSync(join(work, "MANIFEST.MF"), manifest);
  // A fixed date makes the jar byte-for-byte reproducible from the same sources.
  run(
    "jar",
    [
      "--create",
      "--file",
      join(work, "nf-lockstep.jar"),
      "--manifest",
      join(work, "MANIFEST.MF"),
      "--date",
      "2000-01-01T00:00:02Z",
      "-C",
      classes,
      ".",
    ],
    work,
    "jar (nf-lockstep)",
  );

  // The plugin layout Nextflow's LocalPluginManager expects: <id>-<version>/classes/META-INF/MANIFEST.MF.
  const plugin = join(work, "plugins", `${NF_LOCKSTEP_ID}-${NF_LOCKSTEP_VERSION}`);
  cpSync(classes, join(plugin, "classes"), { recursive: true });
  writeFileSync(join(plugin, "classes", "META-INF", "MANIFEST.MF"), manifest);

  // Another worker may have finished the same build meanwhile, and its heads use it: keep that one.
  if (existsSync(join(out, ".built"))) {
    rmSync(work, { recursive: true, force: true });
    return result;
  }
  mkdirSync(out, { recursive: true });
  rmSync(join(out, "plugins"), { recursive: true, force: true });
  renameSync(join(work, "plugins"), join(out, "plugins"));
  renameSync(join(work, "nf-lockstep.jar"), result.jar);
  writeFileSync(join(out, ".built"), `${digest}\n`);
  rmSync(work, { recursive: true, force: true });
  return result;
}

export type TSecretsStore =
  | {
      store: "aws-secrets-manager";
      region: string;
      endpoint?: string;
      /** Names and tags the AWS Batch job definitions nf-lockstep registers for tasks that declare secrets. */
      runId?: string;
      /** The role ECS resolves those job definitions' `secrets` with (the compute environment's execution role). */
      executionRoleArn?: string;
    }
  | { store: "google-secret-manager"; endpoint?: string };

export const SECRETS_MANIFEST_VAR = "LOCKSTEP_SECRETS_MANIFEST";

/**
 * LOCKSTEP_SECRETS_MANIFEST: base64 of the store and, per secret name, its reference (ARN, or
 * Secret Manager version name). References only: a value never goes into it. `endpoint` is for
 * emulators in tests (the provider accepts only a loopback http:// one; on AWS it serves both
 * Secrets Manager and Batch, as moto does).
 */
export function secretsManifest(store: TSecretsStore, refs: Array<{ name: string; ref: string }>): string {
  const body = { v: 1, ...store, secrets: Object.fromEntries(refs.map((r) => [r.name, r.ref])) };
  return Buffer.from(JSON.stringify(body), "utf8").toString("base64");
}

/** Secret Manager's version name for a binding's location (the provider records `projects/<p>/secrets/<id>`). */
export function googleVersionRef(location: string): string {
  return /\/versions\/[^/]+$/.test(location) ? location : `${location}/versions/latest`;
}

/** The jar for a head about to start; a build that cannot run (no JDK) fails the launch with the reason, not with a head whose tasks silently lack secrets. */
export async function headExtensionJar(load: () => Promise<Buffer>): Promise<Buffer> {
  try {
    return await load();
  } catch (error) {
    throw new ExecutorError(
      `nf-lockstep (Lockstep's secrets provider for Nextflow) is not available: ${error instanceof Error ? error.message : String(error)}`,
      false,
    );
  }
}
