"use client";

import { useEffect, useRef } from "react";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useTRPC } from "~/trpc/react";

/** Polling only while the push channel is down (its error state): slow, so a broken stream costs little. */
export const FALLBACK_POLL_MS = 15_000;

/**
 * Run changes pushed by the server (runs.onChange over SSE): `onChange` runs at most every 250 ms
 * while events arrive, and never while nothing changes — an idle tab sends no request. `live` is
 * false while the stream is broken, so the page can fall back to a slow poll.
 */
export function useRunEvents(
  workspaceId: string,
  runId: string | undefined,
  onChange: (ids: Set<string>) => void,
): { live: boolean } {
  const trpc = useTRPC();
  const latest = useRef(onChange);
  latest.current = onChange;
  const pending = useRef<{ ids: Set<string>; timer: ReturnType<typeof setTimeout> | null }>({
    ids: new Set(),
    timer: null,
  });
  useEffect(() => () => void (pending.current.timer && clearTimeout(pending.current.timer)), []);
  const subscription = useSubscription(
    trpc.runs.onChange.subscriptionOptions(runId ? { workspaceId, runId } : { workspaceId }, {
      onData: (event) => {
        const p = pending.current;
        p.ids.add(event.id);
        p.timer ??= setTimeout(() => {
          const ids = p.ids;
          p.ids = new Set();
          p.timer = null;
          latest.current(ids);
        }, 250);
      },
    }),
  );
  return { live: subscription.status !== "error" };
}
