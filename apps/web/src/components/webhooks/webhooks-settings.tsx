"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Alert, Badge, Button, Card, Checkbox, EmptyState, Field } from "@lockstep/ui";
import { webhookEventLabels, webhookEventTypes } from "@lockstep/validators";
import { errorMessage, fieldErrorsOf } from "~/components/errors";
import { DataTable } from "~/components/data-table";
import { useTRPC } from "~/trpc/react";

const formatDateTime = (date: string) =>
  new Date(date).toLocaleString("en", { dateStyle: "medium", timeStyle: "medium" });

/** Splits "url: must …" / "events: …" messages onto their fields (the API names the field first). */
function hookErrorsOf(error: unknown): Record<string, string> {
  const errors = fieldErrorsOf(error);
  const m = errors.form ? /^(url|events|description): (.*)$/s.exec(errors.form) : null;
  return m ? { [m[1]!]: m[2]! } : errors;
}

/**
 * Workspace Settings → Webhooks: endpoints, their signing secret (shown once), enable/disable,
 * test, rotate, delete, and each endpoint's delivery log. Workspace admins and owners only.
 */
export function WebhooksSettings({ workspaceId }: { workspaceId: string }) {
  const trpc = useTRPC();
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const list = useQuery(trpc.webhooks.list.queryOptions({ workspaceId, cursor, limit: 10 }));
  const [secret, setSecret] = useState<{ url: string; secret: string; rotated: boolean } | null>(null);

  return (
    <section aria-labelledby="webhooks-heading" className="space-y-4">
      <div>
        <h2 id="webhooks-heading" className="text-base font-semibold text-slate-900">
          Webhooks
        </h2>
        <p className="mt-1 text-sm text-slate-500">
          Lockstep POSTs a signed JSON message (Standard Webhooks: <code className="font-mono text-xs">webhook-id</code>
          , <code className="font-mono text-xs">webhook-timestamp</code>,{" "}
          <code className="font-mono text-xs">webhook-signature</code>) when a run finishes, when a run&apos;s secrets
          cannot be deleted, and when a workspace secret is created, overwritten or deleted. Messages carry ids, names,
          statuses and times — never a secret&apos;s value. Failed deliveries are retried with growing delays.
        </p>
      </div>
      {secret ? <SigningSecret {...secret} onDone={() => setSecret(null)} /> : null}
      {list.isPending ? (
        <p className="text-sm text-slate-500">Loading webhooks…</p>
      ) : list.isError ? (
        <Alert>{errorMessage(list.error)}</Alert>
      ) : list.data.items.length === 0 && cursors.length === 0 ? (
        <EmptyState title="No webhooks">
          Add an endpoint below to hear about runs and secrets from another system.
        </EmptyState>
      ) : (
        <div className="space-y-3">
          {list.data.items.map((e) => (
            <Endpoint
              key={e.id}
              workspaceId={workspaceId}
              endpoint={e}
              onSecret={(s) => setSecret({ url: e.url, secret: s, rotated: true })}
            />
          ))}
          <div className="flex gap-2">
            {cursors.length > 0 ? (
              <Button variant="secondary" onClick={() => setCursors((c) => c.slice(0, -1))}>
                Previous page
              </Button>
            ) : null}
            {list.data.nextCursor ? (
              <Button variant="secondary" onClick={() => setCursors((c) => [...c, list.data.nextCursor!])}>
                Next page
              </Button>
            ) : null}
          </div>
        </div>
      )}
      <CreateEndpoint workspaceId={workspaceId} onCreated={(url, s) => setSecret({ url, secret: s, rotated: false })} />
    </section>
  );
}

type TEndpoint = {
  id: string;
  url: string;
  description: string;
  events: string[];
  enabled: boolean;
  secretRotatedAt: string;
  createdAt: string;
};

function Endpoint({
  workspaceId,
  endpoint,
  onSecret,
}: {
  workspaceId: string;
  endpoint: TEndpoint;
  onSecret: (secret: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [error, setError] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<"delete" | "rotate" | null>(null);
  const [showLog, setShowLog] = useState(false);
  const [notice, setNotice] = useState<string | null>(null);
  const update = useMutation(trpc.webhooks.update.mutationOptions());
  const del = useMutation(trpc.webhooks.delete.mutationOptions());
  const rotate = useMutation(trpc.webhooks.rotateSecret.mutationOptions());
  const test = useMutation(trpc.webhooks.test.mutationOptions());
  const ids = { workspaceId, endpointId: endpoint.id };

  async function act(what: () => Promise<unknown>) {
    setError(null);
    setNotice(null);
    try {
      await what();
      await queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() });
    } catch (e) {
      setError(errorMessage(e));
    }
    setConfirming(null);
  }

  return (
    <Card>
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <p className="font-mono text-sm text-slate-900 [overflow-wrap:anywhere]">{endpoint.url}</p>
          {endpoint.description ? <p className="mt-0.5 text-sm text-slate-600">{endpoint.description}</p> : null}
          <p className="mt-2 flex flex-wrap gap-1">
            {endpoint.enabled ? <Badge tone="green">Enabled</Badge> : <Badge tone="amber">Disabled</Badge>}
            {endpoint.events.map((ev) => (
              <Badge key={ev}>{ev}</Badge>
            ))}
          </p>
          <p className="mt-2 text-xs text-slate-500">Signing secret set {formatDateTime(endpoint.secretRotatedAt)}</p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button
            variant="secondary"
            onClick={() => void act(() => update.mutateAsync({ ...ids, enabled: !endpoint.enabled }))}
          >
            {endpoint.enabled ? "Disable" : "Enable"}
          </Button>
          <Button
            variant="secondary"
            disabled={test.isPending}
            onClick={() =>
              void act(async () => {
                await test.mutateAsync(ids);
                setNotice("Test event queued; see the delivery log.");
                setShowLog(true);
                await queryClient.invalidateQueries({ queryKey: trpc.webhooks.deliveries.queryKey() });
              })
            }
          >
            Send test event
          </Button>
          <Button variant="secondary" aria-expanded={showLog} onClick={() => setShowLog((s) => !s)}>
            {showLog ? "Hide delivery log" : "Delivery log"}
          </Button>
          <Button variant="secondary" onClick={() => setConfirming("rotate")}>
            Rotate secret
          </Button>
          <Button
            variant="danger"
            aria-label={`Delete webhook ${endpoint.url}`}
            onClick={() => setConfirming("delete")}
          >
            Delete
          </Button>
        </div>
      </div>
      {confirming ? (
        <div className="mt-3 flex flex-wrap items-center gap-2 rounded-md bg-slate-50 p-3 text-sm">
          <span className="text-slate-700">
            {confirming === "delete"
              ? "Delete this endpoint and its delivery log? Pending deliveries are dropped."
              : "Make a new signing secret? The old one stops signing at once: update the receiver right after."}
          </span>
          <Button
            variant="danger"
            disabled={del.isPending || rotate.isPending}
            onClick={() =>
              void act(async () => {
                if (confirming === "delete") await del.mutateAsync(ids);
                else onSecret((await rotate.mutateAsync(ids)).signingSecret);
              })
            }
          >
            {confirming === "delete" ? "Confirm delete" : "Confirm rotate"}
          </Button>
          <Button variant="secondary" onClick={() => setConfirming(null)}>
            Cancel
          </Button>
        </div>
      ) : null}
      {notice ? <p className="mt-3 text-sm text-slate-600">{notice}</p> : null}
      {error ? (
        <div className="mt-3">
          <Alert>{error}</Alert>
        </div>
      ) : null}
      {showLog ? <DeliveryLog workspaceId={workspaceId} endpointId={endpoint.id} /> : null}
    </Card>
  );
}

function DeliveryLog({ workspaceId, endpointId }: { workspaceId: string; endpointId: string }) {
  const trpc = useTRPC();
  const [cursors, setCursors] = useState<string[]>([]);
  const log = useQuery({
    ...trpc.webhooks.deliveries.queryOptions({ workspaceId, endpointId, cursor: cursors.at(-1), limit: 20 }),
    refetchInterval: 5_000,
  });
  if (log.isPending) return <p className="mt-3 text-sm text-slate-500">Loading deliveries…</p>;
  if (log.isError) return <Alert>{errorMessage(log.error)}</Alert>;
  return (
    <div className="mt-4 space-y-2">
      {log.data.items.length === 0 && cursors.length === 0 ? (
        <p className="text-sm text-slate-500">No deliveries yet.</p>
      ) : (
        <DataTable
          label="Delivery log"
          columns={["When", "Event", "Attempt", "Status", "Duration", "Error", "Next retry"]}
        >
          {log.data.items.map((a) => (
            <tr key={a.id}>
              <td className="whitespace-nowrap px-5 py-2 text-slate-600">{formatDateTime(a.at)}</td>
              <td className="whitespace-nowrap px-5 py-2 font-mono text-xs text-slate-700" title={`event ${a.eventId}`}>
                {a.eventType}
              </td>
              <td className="px-5 py-2 text-slate-600">{a.attempt}</td>
              <td className="px-5 py-2">
                {a.statusCode === null ? (
                  "—"
                ) : (
                  <Badge tone={a.statusCode < 300 ? "green" : "red"}>{a.statusCode}</Badge>
                )}
              </td>
              <td className="whitespace-nowrap px-5 py-2 text-slate-600">{a.durationMs} ms</td>
              <td className="px-5 py-2 font-mono text-xs text-slate-600">{a.errorKind ?? ""}</td>
              <td className="whitespace-nowrap px-5 py-2 text-slate-600">
                {a.nextRetryAt ? formatDateTime(a.nextRetryAt) : ""}
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <div className="flex gap-2">
        {cursors.length > 0 ? (
          <Button variant="secondary" onClick={() => setCursors((c) => c.slice(0, -1))}>
            Newer
          </Button>
        ) : null}
        {log.data.nextCursor ? (
          <Button variant="secondary" onClick={() => setCursors((c) => [...c, log.data.nextCursor!])}>
            Older
          </Button>
        ) : null}
      </div>
    </div>
  );
}

function CreateEndpoint({
  workspaceId,
  onCreated,
}: {
  workspaceId: string;
  onCreated: (url: string, secret: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const create = useMutation(trpc.webhooks.create.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const events = data.getAll("events").map(String) as Array<(typeof webhookEventTypes)[number]>;
    setErrors({});
    if (events.length === 0) {
      setErrors({ events: "Pick at least one event." });
      return;
    }
    try {
      const result = await create.mutateAsync({
        workspaceId,
        url: String(data.get("url") ?? ""),
        description: String(data.get("description") ?? ""),
        events,
        enabled: data.get("enabled") === "on",
      });
      form.reset();
      onCreated(result.endpoint.url, result.signingSecret);
      await queryClient.invalidateQueries({ queryKey: trpc.webhooks.list.queryKey() });
    } catch (error) {
      setErrors(hookErrorsOf(error));
    }
  }

  return (
    <Card>
      <h3 className="text-base font-semibold text-slate-900">New endpoint</h3>
      <form
        className="mt-4 space-y-4"
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        aria-label="Add a webhook endpoint"
      >
        <Field
          id="hook-url"
          name="url"
          label="URL"
          placeholder="https://hooks.example.com/lockstep"
          autoComplete="off"
          required
          error={errors.url}
        />
        <Field
          id="hook-description"
          name="description"
          label="Description"
          placeholder="e.g. Notify the lab's chat"
          error={errors.description}
        />
        <fieldset aria-describedby={errors.events ? "hook-events-error" : undefined}>
          <legend className="text-sm font-medium text-slate-900">Events</legend>
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            {webhookEventTypes.map((ev) => (
              <Checkbox
                key={ev}
                id={`hook-event-${ev}`}
                name="events"
                value={ev}
                defaultChecked={ev === "run.finished"}
                label={ev}
                hint={webhookEventLabels[ev]}
              />
            ))}
          </div>
          {errors.events ? (
            <p id="hook-events-error" className="mt-2 text-sm text-red-600">
              {errors.events}
            </p>
          ) : null}
        </fieldset>
        <Checkbox
          id="hook-enabled"
          name="enabled"
          defaultChecked
          label="Enabled"
          hint="A disabled endpoint receives nothing (test events excepted)."
        />
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        <Button type="submit" className="h-9" disabled={create.isPending}>
          {create.isPending ? "Adding…" : "Add endpoint"}
        </Button>
      </form>
    </Card>
  );
}

function SigningSecret({
  url,
  secret,
  rotated,
  onDone,
}: {
  url: string;
  secret: string;
  rotated: boolean;
  onDone: () => void;
}) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied("yes");
    } catch {
      input.current?.select();
      setCopied("failed");
    }
  }
  return (
    <section aria-labelledby="hook-secret-heading" className="rounded-xl bg-green-50 p-6 ring-1 ring-green-200">
      <h3 id="hook-secret-heading" className="text-base font-semibold text-green-900 [overflow-wrap:anywhere]">
        {rotated ? "New signing secret" : "Signing secret"} for {url}
      </h3>
      <p className="mt-1 text-sm text-green-900">
        <strong>Copy it now: you won&apos;t see it again.</strong> The receiver verifies each message&apos;s{" "}
        <code>webhook-signature</code> with it (see docs/webhooks.md). If you lose it, rotate it.
      </p>
      <div className="mt-4 flex flex-wrap items-center gap-2">
        <label htmlFor="hook-secret" className="sr-only">
          Signing secret
        </label>
        <input
          ref={input}
          id="hook-secret"
          readOnly
          value={secret}
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          className="min-w-0 flex-1 rounded-md border-0 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-green-300"
        />
        <Button variant="secondary" className="h-9" onClick={() => void copy()}>
          {copied === "yes" ? "Copied" : "Copy"}
        </Button>
        <Button variant="ghost" className="h-9" onClick={onDone}>
          Done
        </Button>
      </div>
      {copied === "failed" ? (
        <p className="mt-2 text-sm text-green-900">
          Copying was blocked by the browser; the secret is selected, press Ctrl+C.
        </p>
      ) : null}
    </section>
  );
}
