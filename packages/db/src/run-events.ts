import type postgres from "postgres";

/** What a run event says: which run, in which workspace, in which states. Never params, errors or names. */
export type TRunEvent = { id: string; workspaceId: string; status: string; secretsState: string };

/** The channel migration 0017's trigger announces run changes on (every writer: worker, web, sweeper). */
export const RUN_EVENTS_CHANNEL = "lockstep_run_events";

export type TRunEventSource = {
  /** Calls `listener` for each change of a run of `workspaceId`; returns the unsubscribe. */
  subscribe(workspaceId: string, listener: (event: TRunEvent) => void): () => void;
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function parseRunEvent(payload: string): TRunEvent | null {
  try {
    const e = JSON.parse(payload) as Partial<TRunEvent>;
    if (
      typeof e.id !== "string" ||
      !UUID.test(e.id) ||
      typeof e.workspaceId !== "string" ||
      typeof e.status !== "string" ||
      typeof e.secretsState !== "string"
    )
      return null;
    return { id: e.id, workspaceId: e.workspaceId, status: e.status, secretsState: e.secretsState };
  } catch {
    return null;
  }
}

/**
 * One LISTEN per process (postgres.js keeps a dedicated connection for it and re-listens after a
 * reconnect), fanned out in memory to subscribers of each workspace. A page that is open costs a
 * map entry, not a query: nothing runs until a run changes. Listening starts with the first
 * subscriber.
 */
export function createRunEventHub(
  sql: postgres.Sql,
  onError: (error: unknown) => void = () => {},
): TRunEventSource & { close(): Promise<void> } {
  const byWorkspace = new Map<string, Set<(event: TRunEvent) => void>>();
  let listening: Promise<{ unlisten: () => Promise<void> }> | null = null;

  const deliver = (payload: string) => {
    const event = parseRunEvent(payload);
    if (!event) return;
    for (const listener of byWorkspace.get(event.workspaceId) ?? []) {
      try {
        listener(event);
      } catch (error) {
        onError(error);
      }
    }
  };

  return {
    subscribe(workspaceId, listener) {
      listening ??= sql.listen(RUN_EVENTS_CHANNEL, deliver);
      listening.catch((error: unknown) => {
        listening = null;
        onError(error);
      });
      let set = byWorkspace.get(workspaceId);
      if (!set) byWorkspace.set(workspaceId, (set = new Set()));
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size === 0) byWorkspace.delete(workspaceId);
      };
    },
    async close() {
      const l = listening;
      listening = null;
      byWorkspace.clear();
      if (l) await (await l).unlisten().catch(() => undefined);
    },
  };
}
