"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Alert, Badge, Button } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { PAGE_MAX } from "~/components/paging";
import { useTRPC } from "~/trpc/react";

const formatDate = (date: Date | string) =>
  new Date(date).toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });

/**
 * The signed-in user's pending invitations, each accepted or declined here. Nothing joins anyone
 * to an organization or workspace until they accept. Renders nothing when there are none.
 */
export function PendingInvitations() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const invitations = useQuery(trpc.invitations.list.queryOptions({ limit: PAGE_MAX }));
  const accept = useMutation(trpc.invitations.accept.mutationOptions());
  const decline = useMutation(trpc.invitations.decline.mutationOptions());
  const [message, setMessage] = useState<{ tone: "green" | "red"; text: string } | null>(null);

  async function answer(invitationId: string, yes: boolean) {
    setMessage(null);
    try {
      const done = yes ? await accept.mutateAsync({ invitationId }) : await decline.mutateAsync({ invitationId });
      const where = done.workspaceName ? `${done.workspaceName} (${done.orgName})` : done.orgName;
      setMessage({
        tone: "green",
        text: yes ? `You joined ${where} as ${done.role}.` : `You declined the invitation to ${where}.`,
      });
    } catch (error) {
      setMessage({ tone: "red", text: errorMessage(error) });
    }
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.invitations.list.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.workspaces.list.queryKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.orgs.list.queryKey() }),
    ]);
  }

  const items = invitations.data ?? [];
  if (items.length === 0 && !message) return null;
  const busy = accept.isPending || decline.isPending;

  return (
    <section aria-labelledby="invitations-heading" className="mb-8">
      <h2 id="invitations-heading" className="text-base font-semibold text-slate-900">
        Invitations
      </h2>
      <p className="mt-1 text-sm text-slate-500">
        You join an organization or workspace only when you accept. Invitations expire after 14 days.
      </p>
      {message ? (
        <div className="mt-3">
          <Alert tone={message.tone}>{message.text}</Alert>
        </div>
      ) : null}
      {items.length > 0 ? (
        <ul
          className="mt-3 divide-y divide-slate-200 overflow-hidden rounded-xl bg-white shadow-sm ring-1 ring-slate-200"
          aria-label="Invitations"
        >
          {items.map((i) => {
            const where = i.workspaceName ? `${i.workspaceName}` : i.orgName;
            return (
              <li key={i.id} className="flex flex-wrap items-center justify-between gap-4 px-5 py-4">
                <div>
                  <p className="text-sm font-semibold text-slate-900">
                    {where} <Badge tone="indigo">{i.role}</Badge>
                  </p>
                  <p className="mt-0.5 text-xs text-slate-500">
                    {i.kind === "workspace" ? `Workspace in ${i.orgName}` : "Organization"}
                    {i.invitedBy
                      ? ` · invited by ${i.invitedBy.name || i.invitedBy.email} (${i.invitedBy.email})`
                      : ""}{" "}
                    · expires {formatDate(i.expiresAt)}
                  </p>
                </div>
                <div className="flex gap-2">
                  <Button
                    variant="secondary"
                    disabled={busy}
                    aria-label={`Decline the invitation to ${where}`}
                    onClick={() => void answer(i.id, false)}
                  >
                    Decline
                  </Button>
                  <Button
                    disabled={busy}
                    aria-label={`Accept the invitation to ${where}`}
                    onClick={() => void answer(i.id, true)}
                  >
                    Accept
                  </Button>
                </div>
              </li>
            );
          })}
        </ul>
      ) : null}
    </section>
  );
}
