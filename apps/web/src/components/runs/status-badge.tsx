import type { ReactNode } from "react";
import type { TRunStatus, TSecretsState } from "./format";

type TTone = "slate" | "indigo" | "green" | "amber" | "red";

const tones: Record<TTone, string> = {
  slate: "bg-slate-100 text-slate-700 ring-slate-200",
  indigo: "bg-indigo-50 text-indigo-700 ring-indigo-200",
  green: "bg-green-50 text-green-700 ring-green-200",
  amber: "bg-amber-50 text-amber-800 ring-amber-200",
  red: "bg-red-50 text-red-700 ring-red-200",
};

const dots: Record<TTone, string> = {
  slate: "bg-slate-400",
  indigo: "bg-indigo-500",
  green: "bg-green-500",
  amber: "bg-amber-500",
  red: "bg-red-500",
};

/** A badge with a status dot; the dot pulses while something is still happening. */
function DotBadge({
  tone,
  pulse,
  label,
  children,
}: {
  tone: TTone;
  pulse?: boolean;
  label?: string;
  children: ReactNode;
}) {
  return (
    <span
      className={`inline-flex items-center gap-1.5 whitespace-nowrap rounded-md px-2 py-0.5 text-xs font-medium ring-1 ring-inset ${tones[tone]}`}
    >
      <span aria-hidden="true" className="relative flex h-1.5 w-1.5">
        {pulse ? (
          <span className={`absolute inline-flex h-full w-full animate-ping rounded-full opacity-75 ${dots[tone]}`} />
        ) : null}
        <span className={`relative inline-flex h-1.5 w-1.5 rounded-full ${dots[tone]}`} />
      </span>
      {label ? <span className="sr-only">{label}</span> : null}
      {children}
    </span>
  );
}

const RUN: Record<TRunStatus, { tone: TTone; text: string; pulse?: boolean }> = {
  SUBMITTED: { tone: "slate", text: "Submitted", pulse: true },
  RUNNING: { tone: "indigo", text: "Running", pulse: true },
  SUCCEEDED: { tone: "green", text: "Succeeded" },
  FAILED: { tone: "red", text: "Failed" },
  CANCELLED: { tone: "amber", text: "Cancelled" },
  LOST: { tone: "red", text: "Lost" },
};

export function RunStatusBadge({ status }: { status: TRunStatus }) {
  const s = RUN[status];
  return (
    <DotBadge tone={s.tone} pulse={s.pulse} label="Status: ">
      <span data-status={status}>{s.text}</span>
    </DotBadge>
  );
}

const SECRETS: Record<TSecretsState, { tone: TTone; text: string; pulse?: boolean }> = {
  NONE: { tone: "slate", text: "No secrets" },
  PENDING: { tone: "slate", text: "Pending", pulse: true },
  PROVISIONED: { tone: "indigo", text: "Provisioned" },
  DELETING: { tone: "amber", text: "Deleting", pulse: true },
  DELETED: { tone: "green", text: "Deleted" },
  CLEANUP_FAILED: { tone: "red", text: "Cleanup failed" },
};

export function SecretsStateBadge({ state }: { state: TSecretsState }) {
  const s = SECRETS[state];
  return (
    <DotBadge tone={s.tone} pulse={s.pulse} label="Secrets: ">
      <span data-secrets-state={state}>{s.text}</span>
    </DotBadge>
  );
}
