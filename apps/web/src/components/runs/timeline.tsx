import type { inferRouterOutputs } from "@trpc/server";
import type { ReactNode } from "react";
import type { TAppRouter } from "@lockstep/api";
import { Alert } from "@lockstep/ui";
import { formatDateTime, formatDuration, isTerminal, plural, runSecretCount } from "./format";

export type TRun = inferRouterOutputs<TAppRouter>["runs"]["get"];

type TStepState = "done" | "current" | "pending" | "skipped" | "stopped" | "failed";

type TStep = { key: string; title: string; state: TStepState; at: string | null; detail?: ReactNode };

const FINISHED_TEXT: Record<TRun["status"], string> = {
  SUBMITTED: "",
  RUNNING: "",
  SUCCEEDED: "Succeeded",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
  LOST: "Lost",
};

/** The run's lifecycle (DESIGN.md §4) as steps, each with the time it happened. */
export function stepsOf(run: TRun): TStep[] {
  const terminal = isTerminal(run.status);
  const hasSecrets = run.secretsState !== "NONE";
  const steps: TStep[] = [];

  steps.push({
    key: "submitted",
    title: "Submitted",
    state: "done",
    at: run.submittedAt,
    detail: `Queued for ${run.computeEnvName}.`,
  });

  if (!hasSecrets) {
    steps.push({
      key: "provisioned",
      title: "Secrets provisioned",
      state: "skipped",
      at: null,
      detail: "No secrets: this run was launched without any.",
    });
  } else if (run.provisionedAt) {
    steps.push({
      key: "provisioned",
      title: "Secrets provisioned",
      state: "done",
      at: run.provisionedAt,
      detail: `${plural(runSecretCount(run), "secret")} written to the compute environment's secret store.`,
    });
  } else {
    steps.push({
      key: "provisioned",
      title: "Secrets provisioned",
      state: terminal ? "skipped" : "current",
      at: null,
      detail: terminal
        ? "The run ended before its secrets were provisioned."
        : "Writing the run's secrets to the compute environment…",
    });
  }

  if (run.startedAt) {
    steps.push({ key: "running", title: "Running", state: "done", at: run.startedAt, detail: "Nextflow started." });
  } else {
    steps.push({
      key: "running",
      title: "Running",
      state: terminal ? "skipped" : run.provisionedAt || !hasSecrets ? "current" : "pending",
      at: null,
      detail: terminal ? "Nextflow never started." : "Waiting for Nextflow to start…",
    });
  }

  if (terminal) {
    const exit = run.exitCode === null ? null : `exit code ${run.exitCode}`;
    // "cancelled" under "Finished — Cancelled" says nothing new; a reason that differs is worth showing.
    const reason =
      run.errorMessage && run.errorMessage.toLowerCase() !== run.status.toLowerCase() ? run.errorMessage : null;
    steps.push({
      key: "finished",
      title: `Finished — ${FINISHED_TEXT[run.status]}`,
      state: run.status === "SUCCEEDED" ? "done" : run.status === "CANCELLED" ? "stopped" : "failed",
      at: run.finishedAt,
      detail: (
        <>
          {[
            exit,
            run.startedAt && run.finishedAt
              ? `ran ${formatDuration(Date.parse(run.finishedAt) - Date.parse(run.startedAt))}`
              : null,
          ]
            .filter(Boolean)
            .join(" · ") || null}
          {reason ? (
            <span className={`mt-1 block ${run.status === "CANCELLED" ? "text-slate-600" : "text-red-700"}`}>
              {reason}
            </span>
          ) : null}
        </>
      ),
    });
  } else {
    steps.push({
      key: "finished",
      title: "Finished",
      state: run.startedAt ? "current" : "pending",
      at: null,
      detail: run.cancelRequested ? "Cancellation requested…" : run.startedAt ? "Running…" : undefined,
    });
  }

  if (!hasSecrets) {
    steps.push({
      key: "deleted",
      title: "Secrets deleted",
      state: "skipped",
      at: null,
      detail: "No secrets to delete.",
    });
  } else if (run.secretsState === "DELETED") {
    steps.push({
      key: "deleted",
      title: "Secrets deleted",
      state: "done",
      at: run.secretsDeletedAt,
      detail: "Every copy pushed for this run is gone.",
    });
  } else if (run.secretsState === "CLEANUP_FAILED") {
    steps.push({
      key: "deleted",
      title: "Secrets deleted",
      state: "failed",
      at: null,
      detail: (
        <div className="mt-2">
          <Alert>
            Cleanup failed after {plural(run.cleanupAttempts, "attempt")}: {run.lastCleanupError ?? "unknown error"}.
            Copies of this run&apos;s secrets may remain in the compute environment&apos;s secret store; remove them
            there.
          </Alert>
        </div>
      ),
    });
  } else if (run.secretsState === "DELETING" || terminal) {
    steps.push({
      key: "deleted",
      title: "Secrets deleted",
      state: "current",
      at: null,
      detail:
        run.cleanupAttempts > 0
          ? `Deleting… ${plural(run.cleanupAttempts, "attempt")} so far${run.lastCleanupError ? ` (last error: ${run.lastCleanupError})` : ""}; retrying.`
          : "Deleting the run's secrets…",
    });
  } else {
    steps.push({
      key: "deleted",
      title: "Secrets deleted",
      state: "pending",
      at: null,
      detail: "When the run ends, every copy of its secrets is deleted.",
    });
  }
  return steps;
}

const MARKERS: Record<TStepState, { ring: string; icon: ReactNode; label: string }> = {
  done: {
    ring: "bg-green-600 text-white",
    label: "done",
    icon: (
      <path
        d="M4.5 10.5l3.5 3.5 7.5-8"
        fill="none"
        stroke="currentColor"
        strokeWidth="2.2"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    ),
  },
  current: {
    ring: "bg-white ring-2 ring-indigo-600 text-indigo-600",
    label: "in progress",
    icon: <circle cx="10" cy="10" r="3.5" fill="currentColor" className="animate-pulse" />,
  },
  pending: { ring: "bg-white ring-2 ring-slate-200 text-slate-300", label: "not yet", icon: null },
  skipped: {
    ring: "bg-slate-100 ring-1 ring-slate-200 text-slate-400",
    label: "skipped",
    icon: <path d="M6 10h8" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />,
  },
  stopped: {
    ring: "bg-amber-500 text-white",
    label: "stopped",
    icon: <rect x="6.5" y="6.5" width="7" height="7" rx="1" fill="currentColor" />,
  },
  failed: {
    ring: "bg-red-600 text-white",
    label: "failed",
    icon: <path d="M6.5 6.5l7 7m0-7l-7 7" stroke="currentColor" strokeWidth="2.2" strokeLinecap="round" />,
  },
};

export function RunTimeline({ run }: { run: TRun }) {
  const steps = stepsOf(run);
  const t0 = Date.parse(run.submittedAt);
  return (
    <ol aria-label="Timeline" className="space-y-0">
      {steps.map((step, i) => {
        const marker = MARKERS[step.state];
        const last = i === steps.length - 1;
        return (
          <li
            key={step.key}
            data-step={step.key}
            data-state={step.state}
            className="relative flex gap-4 pb-6 last:pb-0"
          >
            {last ? null : (
              <span
                aria-hidden="true"
                className={`absolute left-3 top-7 -ml-px h-[calc(100%-1.75rem)] w-0.5 ${step.state === "done" ? "bg-green-600/40" : "bg-slate-200"}`}
              />
            )}
            <span
              className={`relative z-10 flex h-6 w-6 shrink-0 items-center justify-center rounded-full ${marker.ring}`}
            >
              <svg viewBox="0 0 20 20" aria-hidden="true" className="h-4 w-4">
                {marker.icon}
              </svg>
            </span>
            <div className="min-w-0 flex-1 pt-0.5">
              <div className="flex flex-wrap items-baseline justify-between gap-x-4">
                <p
                  className={`text-sm font-semibold ${step.state === "pending" || step.state === "skipped" ? "text-slate-500" : "text-slate-900"}`}
                >
                  {step.title}
                  <span className="sr-only"> ({marker.label})</span>
                </p>
                {step.at ? (
                  <p className="text-xs tabular-nums text-slate-500">
                    <time dateTime={step.at}>{formatDateTime(step.at)}</time>
                    {step.key !== "submitted" ? (
                      <span className="ml-1.5 text-slate-400">+{formatDuration(Date.parse(step.at) - t0)}</span>
                    ) : null}
                  </p>
                ) : null}
              </div>
              {step.detail ? <div className="mt-0.5 text-sm text-slate-600">{step.detail}</div> : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
