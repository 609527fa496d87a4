"use client";

import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useLayoutEffect, useRef, useState } from "react";
import { errorMessage } from "~/components/errors";
import { useTRPC } from "~/trpc/react";

type TLine = { seq: number; line: string; at: string };

const PAGE = 500;
/** What the browser keeps; the full log stays in the database. */
const MAX_LINES = 5000;
const POLL_MS = 2000;

/**
 * New log lines since the last one seen (`afterSeq`), polled every 2 s while the run is live and
 * once more after it settles, for the last lines the worker copied. Lines arrive masked: the worker
 * replaces every secret value with *** before storing them.
 */
function useRunLog(workspaceId: string, runId: string, live: boolean) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [lines, setLines] = useState<TLine[]>([]);
  const [trimmed, setTrimmed] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const liveRef = useRef(live);
  useEffect(() => {
    liveRef.current = live;
  }, [live]);

  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let after = 0;
    async function poll() {
      const wasLive = liveRef.current;
      try {
        for (;;) {
          const page = await queryClient.fetchQuery({
            ...trpc.runs.logs.queryOptions({ workspaceId, runId, afterSeq: after, limit: PAGE }),
            staleTime: 0,
            gcTime: 0,
          });
          if (stopped) return;
          const got = page.lines;
          if (got.length > 0) {
            after = got.at(-1)!.seq;
            setLines((prev) => {
              const next = [...prev, ...got];
              if (next.length <= MAX_LINES) return next;
              setTrimmed(true);
              return next.slice(-MAX_LINES);
            });
          }
          setError(null);
          if (got.length < PAGE) break;
        }
      } catch (e) {
        if (stopped) return;
        setError(errorMessage(e));
      }
      if (stopped) return;
      if (wasLive) timer = setTimeout(() => void poll(), POLL_MS);
      else setDone(true);
    }
    void poll();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [queryClient, trpc, workspaceId, runId]);

  return { lines, trimmed, error, done };
}

export function RunLog({ workspaceId, runId, live }: { workspaceId: string; runId: string; live: boolean }) {
  const { lines, trimmed, error, done } = useRunLog(workspaceId, runId, live);
  const box = useRef<HTMLDivElement>(null);
  // Follow the tail unless the reader scrolled up to read something.
  const stick = useRef(true);

  useLayoutEffect(() => {
    const el = box.current;
    if (el && stick.current) el.scrollTop = el.scrollHeight;
  }, [lines]);

  return (
    <section aria-labelledby="log-heading">
      <div className="mb-3 flex flex-wrap items-baseline justify-between gap-3">
        <h2 id="log-heading" className="text-base font-semibold text-slate-900">
          Log
        </h2>
        <p className="text-xs text-slate-500">
          {lines.length > 0 ? `${trimmed ? "last " : ""}${lines.length.toLocaleString("en")} lines · ` : null}
          Nextflow&apos;s console output; secret values appear as ***.
        </p>
      </div>
      {error ? <p className="mb-2 text-xs text-amber-700">Could not fetch new lines ({error}); retrying.</p> : null}
      <div
        ref={box}
        onScroll={(e) => {
          const el = e.currentTarget;
          stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 24;
        }}
        role="log"
        aria-label="Run log"
        aria-live="off"
        tabIndex={0}
        className="max-h-[28rem] min-h-24 overflow-auto rounded-lg bg-slate-950 px-4 py-3 font-mono text-xs leading-5 text-slate-200 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
      >
        {lines.length === 0 ? (
          <p className="text-slate-500">{done || !live ? "No output." : "Waiting for output…"}</p>
        ) : (
          <pre className="whitespace-pre-wrap break-all">
            {lines.map((l) => (
              <span key={l.seq} className="block" title={new Date(l.at).toLocaleTimeString("en")}>
                {l.line === "" ? " " : l.line}
              </span>
            ))}
          </pre>
        )}
        {live && lines.length > 0 ? (
          <span aria-hidden="true" className="mt-1 inline-block h-3 w-1.5 animate-pulse bg-slate-400" />
        ) : null}
      </div>
    </section>
  );
}
