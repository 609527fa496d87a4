import { cn } from "./cn";

export function Logo({ className }: { className?: string }) {
  return (
    <div className={cn("flex items-center gap-2 font-semibold tracking-tight text-slate-900", className)}>
      <svg viewBox="0 0 24 24" aria-hidden="true" className="h-7 w-7 text-indigo-600">
        <rect x="4" y="10" width="16" height="11" rx="2.5" fill="currentColor" />
        <path d="M8 10V7a4 4 0 1 1 8 0v3" fill="none" stroke="currentColor" strokeWidth="2.2" />
        <circle cx="12" cy="15.5" r="1.7" fill="white" />
      </svg>
      <span className="text-lg">Lockstep</span>
    </div>
  );
}
