/**
 * A batch scheduler, reduced to what Lockstep does with a Nextflow head job on a cluster: build the
 * job script's header, submit it, ask about it, cancel it (DESIGN.md §4 "Executors"). Every method
 * only builds argv arrays or parses text, so each scheduler is tested against recorded real outputs
 * without the scheduler installed; the SSH executor (./executors/ssh) runs the commands on the
 * cluster's login node, never through a shell with user-controlled text (every argv element is
 * quoted by the transport).
 */
export type TSchedulerKind = "slurm" | "lsf" | "pbspro" | "sge";

/** What a head job needs from the scheduler. Every field was validated before it got here. */
export type TSchedulerHeadSpec = {
  /** `lockstep-<run uuid>`: also how a lost submit is found again. */
  jobName: string;
  /** Partition (Slurm), queue (LSF, PBS Pro, Grid Engine); absent: the scheduler's default. */
  queue?: string;
  /** Head-job options the workspace chose, each already checked against `headOptionAllowlist`. */
  options: readonly string[];
  /** Absolute path of the job script on the cluster. */
  scriptPath: string;
  /** Absolute directory the job starts in (the run's launch directory). */
  workDir: string;
  /** Absolute path of the head's console (stdout and stderr together). */
  outputPath: string;
};

export type TSchedulerJobState =
  | { state: "queued" }
  | { state: "running" }
  | { state: "finished"; exitCode: number | null }
  /** The scheduler no longer knows the job (purged from its memory): the caller decides from the exit-code file. */
  | { state: "unknown" };

export type TCommand = { argv: readonly string[] };

/** What a command said, as the transport got it. */
export type TCommandResult = { stdout: string; stderr: string; code: number };

export type TScheduler = {
  readonly kind: TSchedulerKind;
  /** Options a workspace may put on its head job: a name and a check of the value. */
  readonly headOptionAllowlist: ReadonlyArray<{ flag: string; value: RegExp; description: string }>;
  /** Throws a person-readable Error naming the option and the rule when an option is not allowed. */
  checkOptions(options: readonly string[]): void;
  /** The scheduler directive lines (`#SBATCH …`, `#BSUB …`, `#PBS …`, `#$ …`) for the head's script. */
  directives(spec: TSchedulerHeadSpec): string[];
  /** Submits the script; the directives carry the rest. */
  submit(spec: TSchedulerHeadSpec): TCommand;
  /** The job id in the submit command's stdout; throws when there is none. */
  parseSubmit(stdout: string): string;
  /** Finds a job by name (a retried submit whose answer was lost). */
  findByName(jobName: string): TCommand;
  parseFindByName(stdout: string): string | null;
  query(jobId: string): TCommand;
  /**
   * Reads the query's result; a non-zero exit with the scheduler's "unknown job" text is `unknown`.
   * `jobId` (added): the id asked about. Grid Engine's qstat lists all the user's jobs, so its
   * parser needs it (and throws without it); the others check that the answer is about that job.
   */
  parseQuery(result: { stdout: string; stderr: string; code: number }, jobId?: string): TSchedulerJobState;
  cancel(jobId: string): TCommand;
  /**
   * Added for the schedulers whose query forgets a finished job (Slurm's squeue, Grid Engine's
   * qstat): the accounting record (sacct, qacct), asked once `parseQuery` said `unknown`. Absent
   * where the query itself already covers finished jobs (PBS Pro's `qstat -x`, LSF's bjobs).
   * Accounting may be off on a cluster: its refusal parses as `unknown`.
   */
  history?(jobId: string): TCommand;
  parseHistory?(result: TCommandResult): TSchedulerJobState;
  /** Queues or partitions the cluster has, for "Check connection". */
  listQueues(): TCommand;
  parseQueues(stdout: string): string[];
};
