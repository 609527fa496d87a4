import type { TRedactor } from "@lockstep/redact";
import type { TLogTail } from "./log-tail";
import type { TSandboxIdentity } from "./sandbox";
import type { summariseTrace } from "./trace";

/**
 * One interface for every place a Nextflow head can run (DESIGN.md §4 "Executors"). Each kind
 * lives in ./executors/<kind>/ and is picked by the worker with one exhaustive switch on the
 * compute environment's kind; ./contract.ts is the behaviour every one of them must have, run
 * against each real backend. The worker hands over what it knows about a run (TRunLaunch) and
 * never learns an executor's files, flags or processes: each builds its own Nextflow command,
 * configuration and environment, and host executors own the sandbox (./sandbox.ts).
 */
export type TComputeKind = "local" | "slurm" | "aws-batch" | "google-batch" | TSshComputeKind;

/** A batch scheduler on a cluster reached over SSH as the workspace's own account (./executors/ssh). */
export type TSshComputeKind = "ssh-slurm" | "ssh-lsf" | "ssh-pbspro" | "ssh-sge";

/** What the worker knows about a run when it asks for its head to start. Never a secret value. */
export type TRunLaunch = {
  runId: string;
  /** Where the run's files live: a directory on this machine (local, Slurm) or the run's prefix in the cloud work directory. */
  runDir: string;
  /** A repository URL, or (host executors only) a local path checked against the allowed pipeline roots. */
  pipeline: string;
  revision?: string;
  params: Record<string, string | number | boolean>;
  /** Nextflow run name: lower-case letters, digits, `_` and `-`. */
  runName: string;
  nextflowVersion: string;
  /** The compute environment's own variables. */
  env: Record<string, string>;
  /** From the secrets provider: what the head needs to find the run's secrets (paths, resource names, flags). */
  secretsEnv: Record<string, string>;
  /** From the secrets provider: per secret, the reference a head job resolves it from (AWS Batch: the ARN). */
  secretBindings: Array<{ name: string; location: string }>;
};

/** A launched head, as the worker recorded it (docs/decisions/0006: a spec is what to launch, a handle what was launched). */
export type THeadHandle = { runId: string; runDir: string; ref: string };

/** What woke an exit watch: the exit code file was named (anyone in the run can do that), or the head process this worker spawned exited. */
export type TExitSignal = "file" | "exit";

export type THeadState =
  { state: "running" } | { state: "finished"; exitCode: number } | { state: "vanished"; detail: string };

export type TTaskProgress = ReturnType<typeof summariseTrace>;

export type TCollectRequest = {
  runDir: string;
  /** Where the previous look stopped reading the console. */
  offset: number;
  /** Masks every secret value of the run (see @lockstep/redact). */
  redactor: TRedactor;
  /** The head has ended: read to the end, the last line even without a newline. */
  final: boolean;
  /** Lines the caller can still store. */
  room: number;
};

export type TCollected = {
  /** New console lines, redacted and storable; null when the console could not be read safely. */
  log: TLogTail | null;
  /** Why the console was not read: an error's kind (name, code), never its text, which could quote a line. */
  logError?: string;
  /** Task counts so far; null when there are none yet or they could not be read. */
  progress: TTaskProgress | null;
};

export type TExecutor = {
  readonly kind: TComputeKind;
  /**
   * Before the run's secrets are written: host executors create the run directory for the run's
   * own identity and say who that is (the secrets store must belong to it too). Idempotent.
   */
  prepare(run: { runId: string; runDir: string }): Promise<{ owner: TSandboxIdentity | null }>;
  /** Starts the run's head. Idempotent for a run id: a retry after a lost answer gets the head already started. */
  start(run: TRunLaunch): Promise<{ ref: string }>;
  /** A ref this executor never started, or whose head is gone without an outcome, is `vanished`. */
  status(head: THeadHandle): Promise<THeadState>;
  /** Stops the head and everything it started. A head that already ended (or never existed) is left alone. */
  cancel(head: THeadHandle): Promise<void>;
  /** Frees what the executor kept for a run once it ended (AWS: the per-run job definition). Idempotent. */
  release(head: THeadHandle): Promise<void>;
  /**
   * Ids of runs that still hold something `release` frees (AWS: an ACTIVE head or task job
   * definition), so a sweeper can release those of ended or unknown runs. Absent where nothing is kept.
   */
  leftovers?(): Promise<string[]>;
  /** "Check connection": says what answered, or throws an ExecutorError saying what is wrong. */
  check(): Promise<{ reached: string }>;
  /**
   * Host executors: the head's console (redacted) and task progress, read without trusting the
   * run directory. Absent for cloud heads, whose output is in the cloud's logging service.
   */
  collect?(request: TCollectRequest): Promise<TCollected>;
  /**
   * Host executors: calls `wake("file")` soon after something names the head's exit code file in
   * the run directory (inotify on that one directory). A hint only, raised by a place the pipeline
   * can write: the caller asks `status`, which trusts the head process or the scheduler first, never
   * the file's appearance. The local executor also calls `wake("exit")` when a head this process
   * spawned has exited (the child's exit event: the kernel's word, which the pipeline cannot raise
   * early); a head spawned by an earlier worker process has only the file. Returns the function
   * that stops watching. Absent for cloud heads.
   */
  watchExit?(head: THeadHandle, wake: (signal: TExitSignal) => void): () => void;
  /** Closes the executor's clients. */
  close(): Promise<void>;
};

/**
 * Every failure an executor reports. `retryable` says whether the same call can succeed later (a
 * cloud API throttling or unreachable, a full disk) or never will as things stand (a refused
 * pipeline path, a queue that does not exist, a machine that cannot make a sandbox). Messages name
 * the call and the reason; they never hold a secret value.
 */
export class ExecutorError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
  ) {
    super(message);
    this.name = "ExecutorError";
  }
}

/** What may be said about an error whose text must not be repeated: its name and system code. */
export function errorKind(error: unknown): string {
  const e = error as { name?: unknown; code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === "string" ? e.code : typeof e?.cause?.code === "string" ? e.cause.code : null;
  return [typeof e?.name === "string" ? e.name : "Error", code].filter(Boolean).join(" ");
}

/** Settings every head gets, wherever it runs: plain logs, no update check. */
export const HEAD_FLAGS: Readonly<Record<string, string>> = { NXF_ANSI_LOG: "false", NXF_DISABLE_CHECK_LATEST: "true" };

const RUN_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Run ids name jobs, files and job definitions: anything but a UUID is refused before any call. */
export function assertRunId(runId: string): void {
  if (!RUN_ID.test(runId)) throw new ExecutorError("run id must be a UUID", false);
}
