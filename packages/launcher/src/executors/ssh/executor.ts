import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import { join as localJoin, posix } from "node:path";
import { nextflowArgs } from "../../command";
import {
  assertRunId,
  errorKind,
  ExecutorError,
  HEAD_FLAGS,
  type TCollected,
  type TComputeKind,
  type TExecutor,
  type THeadState,
  type TRunLaunch,
} from "../../executor";
import { headScriptBody, shellQuote } from "../../head-script";
import { isRemotePipeline } from "../../local-pipeline";
import { readLogTailOf } from "../../log-tail";
import { nextflowJavaCommand, pinnedSums } from "../../nextflow-dist";
import { PARAMS_FILE, renderParamsJson } from "../../params";
import type { TScheduler, TSchedulerJobState } from "../../schedulers/types";
import { summariseTrace } from "../../trace";
import {
  remoteFiles,
  sftpCode,
  SFTP_NO_SUCH_FILE,
  SFTP_PERMISSION_DENIED,
  sshPool,
  type SshPool,
  type TRemoteFiles,
  type TSshEndpoint,
  type TSshSession,
} from "./connection";

const { join } = posix;

/** Where the head's Nextflow comes from on the cluster. */
export type TRemoteNextflow =
  /** Lockstep copies its pinned, verified jars into `~/.cache/lockstep/nextflow/<version>/lib` over SFTP (verified again there). */
  | { stage: true }
  /** The pinned jars are already on the cluster in this directory (verified against the sums before every start). */
  | { libDir: string };

export type TSshClusterConfig = {
  scheduler: TScheduler;
  endpoint: TSshEndpoint;
  /** Absolute directory on the cluster for Nextflow's task work directories: `<workDir>/<runId>`. */
  workDir: string;
  /** Absolute directory on the cluster holding one directory per run (`<launchDir>/<runId>`: scripts, console, trace, secrets store). */
  launchDir: string;
  /** Partition or queue; absent: the scheduler's default. */
  queue?: string;
  /** Head-job options, each allowed by the scheduler's allowlist (checked again here). */
  headOptions: readonly string[];
  /** The Java on the cluster (a command on the account's PATH, or an absolute path). */
  java: string;
  nextflow: TRemoteNextflow;
  /** The verified lib directory of a Nextflow release on the worker (what `stage` copies). */
  nextflowLib(version: string): Promise<string>;
  pool?: SshPool;
};

export const SSH_KINDS = { slurm: "ssh-slurm", lsf: "ssh-lsf", pbspro: "ssh-pbspro", sge: "ssh-sge" } as const;

/** Job ids as the four schedulers print them (Slurm/LSF/SGE: digits; PBS Pro: `123.server`). */
const JOB_REF = /^[0-9]{1,12}(\.[A-Za-z0-9._-]{1,200})?$/;
const RECORD = ".lockstep-head";

const SCHEDULER_NAMES: Record<TScheduler["kind"], string> = {
  slurm: "Slurm",
  lsf: "LSF",
  pbspro: "PBS Pro",
  sge: "Grid Engine",
};
const QUEUE_WORD: Record<TScheduler["kind"], string> = {
  slurm: "partition",
  lsf: "queue",
  pbspro: "queue",
  sge: "queue",
};

/** An error out of SSH/SFTP work, classified: permissions and missing paths stay as they are; a dropped line or a busy server passes. */
export function sshError(what: string, error: unknown): ExecutorError {
  if (error instanceof ExecutorError) return error;
  const code = sftpCode(error);
  if (code === SFTP_PERMISSION_DENIED) return new ExecutorError(`${what}: permission denied on the cluster`, false);
  if (code === SFTP_NO_SUCH_FILE) return new ExecutorError(`${what}: no such file or directory on the cluster`, false);
  return new ExecutorError(`${what} failed (${errorKind(error)}); will try again`, true);
}

function firstLine(text: string): string {
  return text.trim().split("\n")[0]?.slice(0, 300) ?? "";
}

function assertAbsolute(label: string, path: string) {
  if (!path.startsWith("/") || path.split("/").includes("..") || path.includes("\0"))
    throw new ExecutorError(`${label} must be an absolute path without '..'`, false);
}

/**
 * The Nextflow head as a batch job on a cluster reached over SSH, as the workspace's own cluster
 * account (docs/hpc.md, docs/security.md "The SSH boundary"). One executor for Slurm, LSF, PBS
 * Pro and Grid Engine: the scheduler module builds the argv and parses the answers; this runs
 * them on the login node (exec, every element quoted) and moves files with SFTP. The worker needs
 * no scheduler client and no shared filesystem of its own.
 */
export function sshClusterExecutor(config: TSshClusterConfig): TExecutor {
  try {
    config.scheduler.checkOptions(config.headOptions);
  } catch (error) {
    throw new ExecutorError(error instanceof Error ? error.message : "a head-job option is not allowed", false);
  }
  const pool = config.pool ?? sshPool;
  const scheduler = config.scheduler;
  const name = SCHEDULER_NAMES[scheduler.kind];
  const kind: TComputeKind = SSH_KINDS[scheduler.kind];
  assertAbsolute("the launch directory", config.launchDir);
  assertAbsolute("the work directory", config.workDir);
  const jobName = (runId: string) => `lockstep-${runId}`;

  function assertRun(run: { runId: string; runDir: string }) {
    assertRunId(run.runId);
    if (run.runDir !== join(config.launchDir, run.runId))
      throw new ExecutorError(
        `${run.runDir} is not this compute environment's run directory for run ${run.runId}`,
        false,
      );
  }

  async function withSession<T>(what: string, use: (s: TSshSession, files: TRemoteFiles) => Promise<T>): Promise<T> {
    const session = await pool.acquire(config.endpoint);
    try {
      return await use(session, remoteFiles(await session.sftp()));
    } catch (error) {
      if (session.closed()) await pool.drop(config.endpoint);
      throw sshError(what, error);
    } finally {
      pool.release(config.endpoint);
    }
  }

  async function run(s: TSshSession, argv: readonly string[]) {
    return s.exec(argv);
  }

  async function findJob(s: TSshSession, runId: string): Promise<string | null> {
    const r = await run(s, scheduler.findByName(jobName(runId)).argv);
    if (r.code !== 0)
      throw new ExecutorError(`${name} could not list jobs by name: ${firstLine(r.stderr) || `exit ${r.code}`}`, true);
    const id = scheduler.parseFindByName(r.stdout);
    return id && JOB_REF.test(id) ? id : null;
  }

  async function queryJob(s: TSshSession, ref: string): Promise<TSchedulerJobState> {
    const r = await run(s, scheduler.query(ref).argv);
    try {
      const state = scheduler.parseQuery(r, ref);
      // Schedulers whose query forgets ended jobs (Slurm, Grid Engine) may still have them in accounting.
      if (state.state !== "unknown" || !scheduler.history || !scheduler.parseHistory) return state;
      return scheduler.parseHistory(await run(s, scheduler.history(ref).argv));
    } catch (error) {
      throw new ExecutorError(
        `${name} could not say how job ${ref} is: ${error instanceof Error ? error.message.slice(0, 200) : "unreadable answer"}`,
        true,
      );
    }
  }

  async function readRecord(files: TRemoteFiles, runDir: string): Promise<string | null> {
    const read = await files.read(join(runDir, RECORD), { maxBytes: 256 });
    const ref = read?.bytes.toString("utf8").trim() ?? "";
    return JOB_REF.test(ref) ? ref : null;
  }

  /** Writes a file of the run exclusively under a temporary name, then renames it into place (never following what a pipeline planted). */
  async function writeFile(
    files: TRemoteFiles,
    runDir: string,
    rel: string,
    content: string,
    mode: number,
  ): Promise<string> {
    const path = join(runDir, rel);
    const temp = join(runDir, `.${rel}-${randomBytes(6).toString("hex")}.tmp`);
    try {
      await files.writeExclusive(temp, content, mode);
      await files.rename(temp, path);
    } catch (error) {
      await files.unlink(temp).catch(() => {});
      throw error;
    }
    return path;
  }

  async function ensureDir(files: TRemoteFiles, path: string, mode: number, own: boolean) {
    await files.mkdir(path, mode);
    const info = await files.lstat(path);
    if (!info || !info.isDirectory || info.isSymbolicLink)
      throw new ExecutorError(`${path} on the cluster is not a directory`, false);
    if (own && info.mode !== mode) await files.chmod(path, mode);
  }

  /** mkdir -p, leaving existing directories as they are. */
  async function ensureParents(files: TRemoteFiles, path: string, mode: number) {
    const parts = path.split("/").filter(Boolean);
    let at = "";
    for (const part of parts) {
      at += `/${part}`;
      if (!(await files.lstat(at))) await files.mkdir(at, mode);
    }
  }

  /** Null when `dir` on the cluster holds exactly the pinned jars of `version`; otherwise what is wrong. */
  async function verifyRemoteNextflow(
    s: TSshSession,
    files: TRemoteFiles,
    dir: string,
    version: string,
  ): Promise<string | null> {
    const sums = pinnedSums(version);
    if (!sums) return `no pinned checksums for Nextflow ${version}`;
    const entries = await files.readdir(dir);
    if (!entries) return `${dir} does not exist on the cluster`;
    const jars = entries
      .filter((e) => e.name.endsWith(".jar"))
      .map((e) => e.name)
      .sort();
    const expected = [...sums.keys()].sort();
    if (jars.join() !== expected.join())
      return `the jars in ${dir} are not the pinned set (${jars.length} found, ${expected.length} expected)`;
    const r = await run(s, ["sha256sum", "--", ...expected.map((jar) => join(dir, jar))]);
    if (r.code !== 0) return `sha256sum on the cluster failed: ${firstLine(r.stderr)}`;
    const got = new Map<string, string>();
    for (const line of r.stdout.split("\n")) {
      const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
      if (m) got.set(posix.basename(m[2]!), m[1]!);
    }
    for (const jar of expected)
      if (got.get(jar) !== sums.get(jar)) return `${jar} on the cluster does not match its pinned SHA-256`;
    return null;
  }

  /** The lib directory of the run's Nextflow on the cluster: verified where it is, or staged into ~/.cache and verified there. */
  async function remoteNextflow(s: TSshSession, files: TRemoteFiles, version: string): Promise<string> {
    if ("libDir" in config.nextflow) {
      const problem = await verifyRemoteNextflow(s, files, config.nextflow.libDir, version);
      if (problem) throw new ExecutorError(`Nextflow ${version} at ${config.nextflow.libDir}: ${problem}`, false);
      return config.nextflow.libDir;
    }
    const home = await s.home();
    const versionDir = join(home, ".cache", "lockstep", "nextflow", version);
    const dest = join(versionDir, "lib");
    if ((await verifyRemoteNextflow(s, files, dest, version)) === null) return dest;
    let local: string;
    try {
      local = await config.nextflowLib(version);
    } catch (error) {
      throw new ExecutorError(
        `Nextflow ${version} is not available to stage: ${error instanceof Error ? error.message : "unknown error"}`,
        false,
      );
    }
    await ensureParents(files, versionDir, 0o755);
    const temp = `${dest}.tmp-${randomBytes(4).toString("hex")}`;
    await files.mkdir(temp, 0o755);
    try {
      for (const jar of readdirSync(local).filter((f) => f.endsWith(".jar")))
        await files.fastPut(localJoin(local, jar), join(temp, jar), 0o644);
      const problem = await verifyRemoteNextflow(s, files, temp, version);
      if (problem)
        throw new ExecutorError(`the staged Nextflow ${version} failed verification on the cluster: ${problem}`, true);
      // Another start may have staged it meanwhile: never replace a good copy.
      if ((await verifyRemoteNextflow(s, files, dest, version)) !== null) {
        if (await files.lstat(dest)) await files.rename(dest, `${dest}.bad-${Date.now()}`);
        await files.rename(temp, dest);
      }
    } finally {
      await files.removeTree(temp).catch(() => {});
    }
    const problem = await verifyRemoteNextflow(s, files, dest, version);
    if (problem) throw new ExecutorError(`Nextflow ${version} on the cluster: ${problem}`, true);
    return dest;
  }

  return {
    kind,

    async prepare(target) {
      assertRun(target);
      await withSession("preparing the run directory", async (_s, files) => {
        await ensureParents(files, config.launchDir, 0o700);
        // The run's directory is the cluster account's alone: no other account (another workspace) can enter it.
        await ensureDir(files, target.runDir, 0o700, true);
      });
      // The head runs as the cluster account that owns these files: there is no local identity to hand them to.
      return { owner: null };
    },

    async start(launch: TRunLaunch) {
      assertRun(launch);
      const runDir = launch.runDir;
      const tmp = join(runDir, "tmp");
      const paramsFile = join(runDir, PARAMS_FILE);
      if (!isRemotePipeline(launch.pipeline)) assertAbsolute("a pipeline on the cluster", launch.pipeline);
      let args: string[];
      let paramsJson: string;
      try {
        args = nextflowArgs({
          pipeline: launch.pipeline,
          revision: launch.revision,
          runDir,
          workDir: join(config.workDir, launch.runId),
          paramsFile,
          runName: launch.runName,
        });
        paramsJson = renderParamsJson(launch.params);
      } catch (error) {
        throw new ExecutorError(
          error instanceof Error ? error.message : "the run's Nextflow arguments are invalid",
          false,
        );
      }
      for (const key of Object.keys({ ...launch.env, ...launch.secretsEnv })) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
          throw new ExecutorError(`environment variable name ${JSON.stringify(key.slice(0, 64))} is not valid`, false);
      }
      return withSession(`starting the ${name} head job`, async (s, files) => {
        const recorded = (await readRecord(files, runDir)) ?? (await findJob(s, launch.runId));
        if (recorded) {
          await writeFile(files, runDir, RECORD, `${recorded}\n`, 0o600);
          return { ref: recorded };
        }
        const lib = await remoteNextflow(s, files, launch.nextflowVersion);
        await ensureDir(files, runDir, 0o700, true);
        await ensureDir(files, tmp, 0o700, true);
        await writeFile(files, runDir, PARAMS_FILE, paramsJson, 0o600);
        const head = await writeFile(
          files,
          runDir,
          "head.sh",
          headScriptBody(runDir, [...nextflowJavaCommand(lib, { java: config.java, tmpDir: tmp }), ...args]),
          0o700,
        );
        const env: Record<string, string> = {
          ...launch.env,
          ...launch.secretsEnv,
          ...HEAD_FLAGS,
          NXF_HOME: join(runDir, ".nextflow"),
          NXF_OFFLINE: "true",
          NXF_PLUGINS_DEFAULT: "false",
          NXF_TEMP: tmp,
        };
        const spec = {
          jobName: jobName(launch.runId),
          ...(config.queue ? { queue: config.queue } : {}),
          options: config.headOptions,
          scriptPath: join(runDir, "job.sh"),
          workDir: runDir,
          outputPath: join(runDir, "scheduler.out"),
        };
        await writeFile(
          files,
          runDir,
          "job.sh",
          [
            "#!/bin/sh",
            ...scheduler.directives(spec),
            `# Written by Lockstep: the ${name} head job of run ${launch.runId}. It runs Nextflow with exactly these settings added to the account's environment.`,
            ...Object.entries(env).map(([k, v]) => `export ${k}=${shellQuote(v)}`),
            `exec /bin/sh ${shellQuote(head)}`,
            "",
          ].join("\n"),
          0o700,
        );
        const submitted = await run(s, scheduler.submit(spec).argv);
        if (submitted.code !== 0) {
          // The answer may say no for good (a queue that does not exist) or for now; the scheduler's words decide nothing here, so ask again later only when it may pass.
          const said = firstLine(submitted.stderr) || firstLine(submitted.stdout);
          throw new ExecutorError(
            `${name} refused the head job: ${said || `exit ${submitted.code}`}`,
            /temporar|timed? ?out|try again|unable to contact|connection|busy|socket/i.test(said),
          );
        }
        let id: string;
        try {
          id = scheduler.parseSubmit(submitted.stdout);
        } catch {
          throw new ExecutorError(
            `${name} answered the submit with ${JSON.stringify(submitted.stdout.trim().slice(0, 200))}`,
            false,
          );
        }
        if (!JOB_REF.test(id))
          throw new ExecutorError(`${name} answered the submit with a job id Lockstep does not recognise`, false);
        await writeFile(files, runDir, RECORD, `${id}\n`, 0o600);
        return { ref: id };
      });
    },

    async status({ ref, runId, runDir }): Promise<THeadState> {
      assertRun({ runId, runDir });
      if (!JOB_REF.test(ref))
        return { state: "vanished", detail: `${JSON.stringify(ref.slice(0, 40))} is not a ${name} job id` };
      return withSession(`asking ${name} about job ${ref}`, async (s, files) => {
        const job = await queryJob(s, ref);
        if (job.state === "queued" || job.state === "running") return { state: "running" };
        // The exit code file is where the pipeline can write: it only counts once the scheduler no longer runs the job.
        const read = await files.read(join(runDir, "exitcode"), { maxBytes: 16 });
        const text = read?.bytes.toString("utf8").trim() ?? "";
        if (/^\d{1,3}$/.test(text)) return { state: "finished", exitCode: Number(text) };
        if (job.state === "finished" && job.exitCode !== null && job.exitCode !== 0)
          return { state: "finished", exitCode: job.exitCode };
        return {
          state: "vanished",
          detail: `${name} job ${ref} ${job.state === "finished" ? "ended" : "is unknown to the scheduler"} without an exit code`,
        };
      });
    },

    async cancel({ ref, runId, runDir }) {
      assertRun({ runId, runDir });
      if (!JOB_REF.test(ref)) return;
      await withSession(`cancelling ${name} job ${ref}`, async (s) => {
        const r = await run(s, scheduler.cancel(ref).argv);
        if (r.code === 0) return;
        const job = await queryJob(s, ref);
        if (job.state === "finished" || job.state === "unknown") return; // ended already: nothing to stop
        throw new ExecutorError(
          `${name} could not cancel job ${ref}: ${firstLine(r.stderr) || `exit ${r.code}`}`,
          true,
        );
      });
    },

    async release(head) {
      assertRun(head);
      await withSession("releasing the run", async (_s, files) => {
        await files.unlink(join(head.runDir, RECORD));
      });
    },

    async check() {
      return withSession(`checking ${name} on the cluster`, async (s, files) => {
        const r = await run(s, scheduler.listQueues().argv);
        if (r.code === 127)
          throw new ExecutorError(
            `${name}'s commands are not on the PATH of ${config.endpoint.user} on ${config.endpoint.host}`,
            false,
          );
        if (r.code !== 0)
          throw new ExecutorError(
            `${name} could not list its ${QUEUE_WORD[scheduler.kind]}s: ${firstLine(r.stderr) || `exit ${r.code}`}`,
            true,
          );
        const queues = scheduler.parseQueues(r.stdout);
        if (config.queue && !queues.includes(config.queue)) {
          throw new ExecutorError(
            `${name} has no ${QUEUE_WORD[scheduler.kind]} ${config.queue} (it has ${queues.join(", ") || "none"})`,
            false,
          );
        }
        await ensureParents(files, config.launchDir, 0o700);
        await ensureParents(files, config.workDir, 0o700);
        const java = await run(s, [config.java, "-version"]);
        if (java.code !== 0)
          throw new ExecutorError(
            `Java (${config.java}) does not run on the cluster for ${config.endpoint.user}: ${firstLine(java.stderr) || `exit ${java.code}`}`,
            false,
          );
        return {
          reached: `${name} ${config.queue ? `${QUEUE_WORD[scheduler.kind]} ${config.queue}` : "(default queue)"} as ${config.endpoint.user}@${config.endpoint.host}:${config.endpoint.port}`,
        };
      });
    },

    async collect(request): Promise<TCollected> {
      const runDir = request.runDir;
      return withSession("reading the head's console", async (_s, files) => {
        const trace = await files.read(join(runDir, "trace.tsv"), { maxBytes: 32 * 1024 * 1024 }).catch(() => null);
        const progress = trace ? summariseTrace(trace.bytes.toString("utf8")) : null;
        try {
          const log = await readLogTailOf(
            await files.openForRead(join(runDir, "console.log")),
            request.offset,
            request.redactor,
            { final: request.final, room: request.room },
          );
          return { log, progress };
        } catch (error) {
          return { log: null, logError: errorKind(error), progress };
        }
      });
    },

    async close() {},
  };
}
