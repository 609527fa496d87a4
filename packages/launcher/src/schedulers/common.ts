import {
  schedulerJobNameProblem,
  schedulerOptionProblem,
  schedulerPathProblem,
  schedulerQueueProblem,
  SCHEDULER_LABEL,
  type TSchedulerOptionKind,
} from "@lockstep/validators";
import type { TSchedulerHeadSpec } from "./types";

/** A scheduler's answer Lockstep could not use: says which command and what it answered (first line, bounded). */
export class SchedulerOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SchedulerOutputError";
  }
}

export function firstLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .find((l) => l.trim())
      ?.trim()
      .slice(0, 200) ?? ""
  );
}

/** Every option of the head job, checked: throws one Error naming each refused option by position and flag, with its rule. */
export function checkHeadOptions(kind: TSchedulerOptionKind, options: readonly string[]): void {
  const problems: string[] = [];
  options.forEach((option, i) => {
    const problem = schedulerOptionProblem(kind, option);
    if (problem) problems.push(`head option ${i + 1}: ${problem}`);
  });
  if (problems.length > 0) throw new Error(`${SCHEDULER_LABEL[kind]} ${problems.join("; ")}.`);
}

/** The whole spec, checked before a directive or argv is built from it. */
export function checkSpec(kind: TSchedulerOptionKind, spec: TSchedulerHeadSpec): void {
  const problems = [
    schedulerJobNameProblem(spec.jobName),
    spec.queue === undefined ? null : schedulerQueueProblem(kind, spec.queue),
    schedulerPathProblem("the job script", spec.scriptPath),
    schedulerPathProblem("the launch directory", spec.workDir),
    schedulerPathProblem("the head's output file", spec.outputPath),
  ].filter((p): p is string => p !== null);
  if (problems.length > 0) throw new Error(`${SCHEDULER_LABEL[kind]} head job: ${problems.join("; ")}.`);
  checkHeadOptions(kind, spec.options);
}

export function checkJobName(jobName: string): void {
  const problem = schedulerJobNameProblem(jobName);
  if (problem) throw new Error(`${problem[0]!.toUpperCase()}${problem.slice(1)}.`);
}

/** Job ids are what the scheduler printed; one that is not of the scheduler's form is refused before it reaches a command. */
export function checkJobId(kind: TSchedulerOptionKind, jobId: string, form: RegExp): void {
  if (!form.test(jobId))
    throw new Error(`${JSON.stringify(jobId.slice(0, 40))} is not a ${SCHEDULER_LABEL[kind]} job id.`);
}

/** A process that ended on signal N reports 128+N, as the shell and Nextflow do. */
export function waitStatusToExitCode(status: number): number {
  const signal = status & 0x7f;
  return signal !== 0 ? 128 + signal : (status >> 8) & 0xff;
}
