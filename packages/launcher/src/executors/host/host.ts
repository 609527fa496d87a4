import { spawnSync } from "node:child_process";
import { lstatSync, watch, type FSWatcher } from "node:fs";
import { chmod, chown, lchown, lstat, mkdir, open, readFile, rename, rm, stat } from "node:fs/promises";
import { basename, dirname, isAbsolute, join } from "node:path";
import { nextflowArgs } from "../../command";
import {
  assertRunId,
  errorKind,
  ExecutorError,
  HEAD_FLAGS,
  type TCollected,
  type TCollectRequest,
  type TExitSignal,
  type THeadHandle,
  type TRunLaunch,
} from "../../executor";
import { writeHeadScript } from "../../head-script";
import { isRemotePipeline, resolveLocalPipeline } from "../../local-pipeline";
import { readLogTail } from "../../log-tail";
import { nextflowJavaCommand, stageNextflow } from "../../nextflow-dist";
import { writeParamsFile } from "../../params";
import {
  assertHidden,
  javaHomeOutsideUsr,
  probeSandbox,
  SANDBOX_HELP,
  SandboxError,
  type TSandboxConfig,
  type TSandboxIdentity,
} from "../../sandbox";
import { readTraceSummary } from "../../trace";

/**
 * What the local and host-Slurm executors share: the head runs on (or is submitted from) the
 * worker's own machine, in the sandbox of ../../sandbox.ts, as an unprivileged identity of the
 * run's own when the worker is root, from a run directory the worker prepares and hands over.
 * docs/security.md §1–2 is the contract this keeps; apps/worker/src/hostile-pipeline.integration.test.ts
 * proves it.
 */
export type THostOptions = {
  /** The sandbox every head runs in. */
  sandbox: TSandboxConfig;
  /** Why this machine cannot make a sandbox (found at boot), or null. Every start then fails with it: there is no unsandboxed fallback. */
  sandboxProblem: string | null;
  /** Paths no sandbox may show (the keys file, the data directory). */
  hidden: readonly string[];
  /** A root worker gives every run an unprivileged identity of its own; any other worker runs heads as itself, inside the sandbox. */
  root: boolean;
  /** Local runs as root: uid/gid = runUidBase + allocateUid(runId) (an offset unique among unfinished runs; the same for every call with one run id). */
  runUidBase: number;
  allocateUid(runId: string): Promise<number>;
  /** Host-Slurm heads as root are submitted as this Unix account. */
  slurmRunUser: string;
  /** The verified lib directory of a Nextflow release (staged next to the runs before a head starts). */
  nextflowLib(version: string): Promise<string>;
  /** The Java a head runs Nextflow with. */
  java: string;
  /** Where local-path pipelines may live; empty refuses every local path. */
  localPipelineRoots: readonly string[];
  /** The worker's environment minus Lockstep's own settings: what sbatch and friends are called with (PATH, SLURM_CONF). */
  baseEnv: Record<string, string>;
  /**
   * Test-only positive control for the hostile-pipeline suite: local heads run as a plain child of
   * the worker, with its environment, as before the sandbox existed. The worker sets it only under
   * NODE_ENV=test with LOCKSTEP_UNSAFE_UNSANDBOXED_RUNS=positive-control.
   */
  unsafeUnsandboxed: boolean;
};

export type THostKind = "local" | "slurm";

/** A head ready to start: the script, its environment and what its sandbox shows read-only. */
export type THostHeadSpec = {
  script: string;
  env: Record<string, string>;
  readOnly: string[];
  owner: TSandboxIdentity | null;
};

function lookupUser(name: string): TSandboxIdentity {
  const id = (flag: string) => spawnSync("id", [flag, name], { encoding: "utf8" });
  const [u, g] = [id("-u"), id("-g")];
  if (u.status !== 0 || g.status !== 0) {
    throw new ExecutorError(
      `the host Slurm run user "${name}" does not exist on this machine: create it (useradd --system --no-create-home --shell /usr/sbin/nologin ${name}) or set LOCKSTEP_SLURM_RUN_USER — see docs/security.md`,
      false,
    );
  }
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/**
 * The unprivileged identity a host run's files and processes belong to: as root, a uid of the
 * run's own (local) or the host-Slurm run user; otherwise none (the worker's own uid, sandboxed).
 */
export async function runIdentity(
  kind: THostKind,
  host: THostOptions,
  runId: string,
): Promise<TSandboxIdentity | null> {
  if (!host.root || host.unsafeUnsandboxed) return null;
  switch (kind) {
    case "local": {
      const uid = host.runUidBase + (await host.allocateUid(runId));
      return { uid, gid: uid };
    }
    case "slurm":
      return lookupUser(host.slurmRunUser);
  }
}

/** A host run directory is `<runs directory>/<runId>`, an absolute path. */
function assertRunDir(run: { runId: string; runDir: string }) {
  assertRunId(run.runId);
  if (!isAbsolute(run.runDir) || basename(run.runDir) !== run.runId)
    throw new ExecutorError(`${run.runDir} is not an absolute run directory named after the run`, false);
}

/**
 * Creates a host run's directory (every failure an ExecutorError): 0700, owned by the run's identity, inside a runs directory that
 * run users may enter but not list (0711), so no run can find or read another's files.
 */
export async function prepareHostRun(
  kind: THostKind,
  host: THostOptions,
  run: { runId: string; runDir: string },
): Promise<{ owner: TSandboxIdentity | null }> {
  let owner: TSandboxIdentity | null;
  try {
    assertRunDir(run);
    owner = await runIdentity(kind, host, run.runId);
  } catch (error) {
    throw hostError(error);
  }
  const runsDir = dirname(run.runDir);
  try {
    await mkdir(runsDir, { recursive: true, mode: 0o711 });
    if (owner && ((await stat(runsDir)).mode & 0o001) === 0) {
      throw new ExecutorError(
        `run users cannot enter the work directory ${runsDir}: make it (and its parents) executable by others (chmod o+x), not readable`,
        false,
      );
    }
    await mkdir(run.runDir, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== "EEXIST") throw error;
    });
    const info = await lstat(run.runDir);
    if (!info.isDirectory()) throw new ExecutorError(`${run.runDir} is not a directory`, false);
    await chmod(run.runDir, 0o700);
    if (owner) await chown(run.runDir, owner.uid, owner.gid);
  } catch (error) {
    if (error instanceof ExecutorError) throw error;
    const e = error as NodeJS.ErrnoException;
    throw new ExecutorError(
      `could not create the run directory ${run.runDir} (${e.code ?? "error"})`,
      ["ENOSPC", "EBUSY", "EAGAIN", "EIO"].includes(e.code ?? ""),
    );
  }
  return { owner };
}

/** Hands files the worker wrote into a run directory to the run's identity (never following links). */
export async function handOver(paths: string[], owner: TSandboxIdentity | null) {
  if (!owner) return;
  for (const path of paths) await lchown(path, owner.uid, owner.gid);
}

function sandboxRefusal(problem: string): SandboxError {
  return new SandboxError(
    `local and Slurm runs need a sandbox and this worker cannot make one: ${problem}. ${SANDBOX_HELP}`,
  );
}

/**
 * Everything a host head needs before it starts: the pipeline checked once more right before
 * Nextflow reads it, the verified Nextflow staged where run identities can read it, `head.sh`
 * (Nextflow's command, its console and exit code), a private temp directory, and an environment
 * built from nothing but the compute environment's variables, the provider's and Nextflow's own.
 */
export async function buildHostHead(kind: THostKind, host: THostOptions, run: TRunLaunch): Promise<THostHeadSpec> {
  if (host.sandboxProblem && !host.unsafeUnsandboxed) throw sandboxRefusal(host.sandboxProblem);
  // Nextflow gets the resolved main.nf of a local path; its directory is shown to the sandbox read-only (nothing above it).
  const local = isRemotePipeline(run.pipeline)
    ? null
    : await resolveLocalPipeline(run.pipeline, host.localPipelineRoots);
  if (local && !local.ok) throw new ExecutorError(local.message, false);
  if (local) assertHidden({ ...host.sandbox, readOnly: [local.dir] }, [...host.hidden]);
  let lib: string;
  try {
    lib = stageNextflow(await host.nextflowLib(run.nextflowVersion), dirname(run.runDir), run.nextflowVersion);
  } catch (error) {
    throw new ExecutorError(
      `Nextflow ${run.nextflowVersion} is not available: ${error instanceof Error ? error.message : "unknown error"}`,
      false,
    );
  }
  const javaHome = javaHomeOutsideUsr(host.java);
  const tmp = join(run.runDir, "tmp");
  // Params reach Nextflow in a 0600 file, never as options.
  const paramsFile = await writeParamsFile(run.runDir, run.params);
  let args: string[];
  try {
    args = nextflowArgs({
      pipeline: local ? local.mainScript : run.pipeline,
      revision: run.revision,
      runDir: run.runDir,
      workDir: join(run.runDir, "work"),
      paramsFile,
      runName: run.runName,
    });
  } catch (error) {
    throw new ExecutorError(error instanceof Error ? error.message : "the run's Nextflow arguments are invalid", false);
  }
  const script = await writeHeadScript(run.runDir, [
    ...nextflowJavaCommand(lib, { java: host.java, tmpDir: tmp }),
    ...args,
  ]);
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  const owner = await runIdentity(kind, host, run.runId);
  await handOver([script, tmp, paramsFile], owner);
  const env = {
    ...run.env,
    ...run.secretsEnv,
    ...HEAD_FLAGS,
    NXF_HOME: join(run.runDir, ".nextflow"),
    NXF_OFFLINE: "true",
    // No plugin downloads (the plugin registry is not reachable from many clusters) and no stray
    // /tmp/nxf-* folders when a run aborts.
    NXF_PLUGINS_DEFAULT: "false",
    NXF_TEMP: tmp,
  };
  return { script, env, readOnly: [lib, ...(javaHome ? [javaHome] : []), ...(local ? [local.dir] : [])], owner };
}

/**
 * Which head was started for a run, kept where no run can see or write it
 * (`<runs directory>/.lockstep/heads/<runId>`, 0600 in a 0700 directory of the worker's; a sandbox
 * shows only its own run directory and the staged Nextflow). It makes start idempotent: a launch
 * retried after its answer was lost (the worker died between starting the head and recording it)
 * finds the head already started instead of starting a second one in the same directory.
 */
function recordPath(run: { runId: string; runDir: string }): string {
  assertRunDir(run);
  return join(dirname(run.runDir), ".lockstep", "heads", run.runId);
}

export async function readHeadRecord(run: { runId: string; runDir: string }, valid: RegExp): Promise<string | null> {
  const text = await readFile(recordPath(run), "utf8").catch(() => null);
  const ref = text?.trim() ?? "";
  return valid.test(ref) ? ref : null;
}

export async function writeHeadRecord(run: { runId: string; runDir: string }, ref: string): Promise<void> {
  const path = recordPath(run);
  const lockstepDir = dirname(dirname(path));
  // `.lockstep` also holds the staged Nextflow, which run identities must reach (0755); the records stay the worker's.
  await mkdir(lockstepDir, { mode: 0o755 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  await mkdir(dirname(path), { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "EEXIST") throw error;
  });
  const temp = `${path}.${process.pid}.tmp`;
  const handle = await open(temp, "w", 0o600);
  try {
    await handle.writeFile(`${ref}\n`);
  } finally {
    await handle.close();
  }
  await rename(temp, path);
}

export async function removeHeadRecord(run: { runId: string; runDir: string }): Promise<void> {
  await rm(recordPath(run), { force: true });
}

/** The run's console (redacted) and the trace's task counts, read without trusting the run directory. */
export async function collectHostOutput(request: TCollectRequest): Promise<TCollected> {
  const progress = await readTraceSummary(request.runDir).catch(() => null);
  try {
    const log = await readLogTail(request.runDir, "console.log", request.offset, request.redactor, {
      final: request.final,
      room: request.room,
    });
    return { log, progress };
  } catch (error) {
    return { log: null, logError: errorKind(error), progress };
  }
}

/** "Check connection" for a host executor: the sandbox can be made here, as a run identity would make it, and shows nothing it must hide. */
export async function checkHostSandbox(kind: THostKind, host: THostOptions): Promise<void> {
  if (host.unsafeUnsandboxed) return;
  if (host.sandboxProblem) throw sandboxRefusal(host.sandboxProblem);
  assertHidden(host.sandbox, [...host.hidden]);
  let identity: TSandboxIdentity | undefined;
  if (host.root)
    identity =
      kind === "slurm"
        ? lookupUser(host.slurmRunUser)
        : { uid: host.runUidBase + 65_535, gid: host.runUidBase + 65_535 };
  const problem = await probeSandbox(host.sandbox, identity);
  if (problem) throw sandboxRefusal(problem);
}

/**
 * An error out of a host executor's own work, classified. System errors of the moment (a full
 * disk, too many open files) can pass; anything else thrown by our own checks fails the same way
 * again.
 */
export function hostError(error: unknown): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const e = error as NodeJS.ErrnoException | null;
  const message = error instanceof Error ? error.message : "unknown error";
  if (typeof e?.code === "string")
    return new ExecutorError(
      message,
      !["ENOENT", "EACCES", "EPERM", "ENOTDIR", "EISDIR", "ELOOP", "EROFS", "EINVAL"].includes(e.code),
    );
  return new ExecutorError(message, false);
}

/**
 * The head script renames `.exitcode.tmp` to `exitcode` as its last step: one inotify watch on the
 * run directory (not recursive, not following a symlink — a run directory that is one is not
 * watched) calls `wake` when an entry of that name changes. The event carries only a name, decided
 * by whatever wrote into the directory; `wake` is bound to the run the directory was opened for, so
 * the worst a pipeline can do is wake its own run's check early (see TExecutor.watchExit).
 */
export function watchHostExit(head: THeadHandle, wake: (signal: TExitSignal) => void): () => void {
  let watcher: FSWatcher;
  try {
    if (!lstatSync(head.runDir).isDirectory()) return () => {};
    watcher = watch(head.runDir, { persistent: false, recursive: false }, (_event, name) => {
      if (name === "exitcode") wake("file");
    });
  } catch {
    return () => {}; // no watch (inotify limits, the directory gone): the monitor's poll still sees the end
  }
  watcher.on("error", () => watcher.close());
  return () => watcher.close();
}
