"use client";

import { useInfiniteQuery } from "@tanstack/react-query";
import { Alert, Button, Dialog } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { useTRPC } from "~/trpc/react";
import { formatDateTime } from "./format";
import type { TSecretsTarget } from "./use-secrets";

const HOW: Record<string, string> = { created: "Created", overwritten: "Overwritten" };

/**
 * A secret's write history: every version with who wrote it and when. Values are never kept
 * after an overwrite, so there is nothing else to show.
 */
export function SecretHistoryDialog({
  target,
  secret,
  onClose,
}: {
  target: TSecretsTarget;
  secret: { id: string; name: string };
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const next = { getNextPageParam: (last: { nextCursor: number | null }) => last.nextCursor };
  const ws = useInfiniteQuery({
    ...trpc.secrets.history.infiniteQueryOptions(
      { workspaceId: target.scope === "workspace" ? target.workspaceId : "", secretId: secret.id, limit: 20 },
      next,
    ),
    enabled: target.scope === "workspace",
  });
  const mine = useInfiniteQuery({
    ...trpc.userSecrets.history.infiniteQueryOptions({ secretId: secret.id, limit: 20 }, next),
    enabled: target.scope === "user",
  });
  const history = target.scope === "workspace" ? ws : mine;
  const versions = history.data?.pages.flatMap((p) => p.versions) ?? [];

  return (
    <Dialog
      title={
        <>
          History of <span className="font-mono">{secret.name}</span>
        </>
      }
      description="Every value written, newest first. Old values are not kept: only who wrote each version and when."
      onClose={onClose}
      footer={
        <Button variant="secondary" onClick={onClose}>
          Close
        </Button>
      }
    >
      {history.isPending ? (
        <p className="text-sm text-slate-500">Loading…</p>
      ) : history.isError ? (
        <Alert>{errorMessage(history.error)}</Alert>
      ) : (
        <>
          <ol className="divide-y divide-slate-100 text-sm" aria-label={`Versions of ${secret.name}`}>
            {versions.map((v) => (
              <li key={v.version} className="flex items-baseline justify-between gap-4 py-2">
                <span>
                  <span className="mr-2 inline-flex rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
                    v{v.version}
                  </span>
                  {HOW[v.action] ?? v.action}
                  {v.via ? <span className="text-slate-500"> ({v.via})</span> : null}
                  {v.writtenBy ? (
                    <span className="text-slate-600" title={v.writtenBy.email}>
                      {" "}
                      by {v.writtenBy.name}
                    </span>
                  ) : null}
                </span>
                <time dateTime={v.writtenAt} className="shrink-0 text-slate-500">
                  {formatDateTime(v.writtenAt)}
                </time>
              </li>
            ))}
          </ol>
          {history.hasNextPage ? (
            <Button
              variant="secondary"
              className="mt-3"
              onClick={() => void history.fetchNextPage()}
              disabled={history.isFetchingNextPage}
            >
              Older versions
            </Button>
          ) : null}
        </>
      )}
    </Dialog>
  );
}
