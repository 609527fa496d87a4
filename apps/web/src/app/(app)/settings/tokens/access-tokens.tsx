"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRef, useState, type FormEvent } from "react";
import { Alert, Badge, Button, Card, Checkbox, EmptyState, Field, PageHeader, SelectField } from "@lockstep/ui";
import { errorMessage, fieldErrorsOf } from "~/components/errors";
import { DataTable } from "~/components/data-table";
import { LoadMore, nextPageAfter, PAGE_SIZE, rowsOf } from "~/components/paging";
import { useTRPC } from "~/trpc/react";

const EXPIRY_DAYS = [7, 30, 90, 180, 365] as const;
const daysLabel = (days: number) => (days === 365 ? "1 year" : `${days} days`);

/** The lifetimes the instance allows (every token expires; LOCKSTEP_TOKEN_MAX_DAYS caps it). */
function expiryChoices(maxDays: number) {
  const days: number[] = EXPIRY_DAYS.filter((d) => d <= maxDays);
  if (!days.includes(maxDays)) days.push(maxDays);
  return days.map((d) => ({ value: String(d), label: d === maxDays ? `${daysLabel(d)} (maximum)` : daysLabel(d) }));
}

const SCOPES = [
  {
    scope: "read",
    label: "read",
    hint: "List and view: workspaces, secret names, pipelines, runs and their logs, audit logs.",
  },
  {
    scope: "write",
    label: "write",
    hint: "Create, change and delete secrets, pipelines, compute environments and credentials.",
  },
  { scope: "launch", label: "launch", hint: "Launch and cancel runs." },
  {
    scope: "admin",
    label: "admin",
    hint: "Manage members, participants and workspace settings; instance settings for instance admins.",
  },
] as const;

const formatDate = (date: Date | string) =>
  new Date(date).toLocaleDateString("en", { year: "numeric", month: "short", day: "numeric" });
const formatDateTime = (date: Date | string) =>
  new Date(date).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });

export function AccessTokens() {
  const trpc = useTRPC();
  const tokens = useInfiniteQuery(
    trpc.me.tokens.list.infiniteQueryOptions({ limit: PAGE_SIZE }, { getNextPageParam: nextPageAfter() }),
  );
  const tokenRows = rowsOf(tokens.data);
  const [created, setCreated] = useState<{ name: string; token: string } | null>(null);

  return (
    <>
      <PageHeader
        title="Access tokens"
        description={
          <>
            Tokens let scripts and CI call the Lockstep API as you: send one as{" "}
            <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">
              Authorization: Bearer &lt;token&gt;
            </code>
            . Every token expires and can do only what its scopes allow; tokens cannot create other tokens. See the{" "}
            <a className="text-indigo-700 underline" href="/docs/api">
              REST API
            </a>{" "}
            and the <code className="rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-700">lockstep</code>{" "}
            command-line tool.
          </>
        }
      />
      <div className="space-y-8">
        {created ? <NewToken name={created.name} token={created.token} onDone={() => setCreated(null)} /> : null}
        <section aria-labelledby="tokens-heading">
          <h2 id="tokens-heading" className="mb-3 text-base font-semibold text-slate-900">
            Your tokens
          </h2>
          {tokens.isPending ? (
            <p className="text-sm text-slate-500">Loading tokens…</p>
          ) : tokens.isError ? (
            <Alert>{errorMessage(tokens.error)}</Alert>
          ) : tokenRows.length === 0 ? (
            <EmptyState title="No access tokens">Create one below to use the API from a script or a CI job.</EmptyState>
          ) : (
            <>
              <TokenTable tokens={tokenRows} />
              <LoadMore query={tokens} label="Load more tokens" />
            </>
          )}
        </section>
        <CreateToken onCreated={setCreated} />
      </div>
    </>
  );
}

type TToken = {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt: string | null;
  lastUsedIp: string | null;
  expiresAt: string;
};

function TokenTable({ tokens }: { tokens: TToken[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const revoke = useMutation(trpc.me.tokens.revoke.mutationOptions());
  const [confirming, setConfirming] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // Rendered on the client only (the list is fetched there), so reading the clock here is stable.
  const now = Date.now();

  async function onRevoke(tokenId: string) {
    setError(null);
    try {
      await revoke.mutateAsync({ tokenId });
      await queryClient.invalidateQueries({ queryKey: trpc.me.tokens.list.pathKey() });
    } catch (e) {
      setError(errorMessage(e));
    }
    setConfirming(null);
  }

  return (
    <>
      {error ? (
        <div className="mb-3">
          <Alert>{error}</Alert>
        </div>
      ) : null}
      <DataTable label="Access tokens" columns={["Name", "Token", "Scopes", "Created", "Last used", "Expires"]} actions>
        {tokens.map((t) => {
          const expired = Date.parse(t.expiresAt) <= now;
          return (
            <tr key={t.id}>
              <td
                className="min-w-[8rem] max-w-[16rem] px-5 py-3 font-medium text-slate-900 [overflow-wrap:anywhere]"
                title={t.name}
              >
                {t.name}
              </td>
              <td className="whitespace-nowrap px-5 py-3 font-mono text-xs text-slate-600">{t.prefix}…</td>
              <td className="px-5 py-3">
                <span className="flex flex-wrap gap-1">
                  {t.scopes.map((scope) => (
                    <Badge key={scope} tone={scope === "admin" ? "amber" : "slate"}>
                      {scope}
                    </Badge>
                  ))}
                </span>
              </td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-600">{formatDate(t.createdAt)}</td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-600">
                {t.lastUsedAt ? (
                  <>
                    {formatDateTime(t.lastUsedAt)}
                    {t.lastUsedIp ? (
                      <span className="block font-mono text-xs text-slate-500">
                        from{" "}
                        <span title="The client address of the last request made with this token">{t.lastUsedIp}</span>
                      </span>
                    ) : null}
                  </>
                ) : (
                  "Never"
                )}
              </td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-600">
                {expired ? <Badge tone="red">Expired</Badge> : formatDate(t.expiresAt)}
              </td>
              <td className="whitespace-nowrap px-5 py-3 text-right">
                {confirming === t.id ? (
                  <span className="inline-flex items-center gap-2">
                    <span className="text-slate-600 [overflow-wrap:anywhere]">
                      Revoke {t.name}? Anything using it stops working.
                    </span>
                    <Button variant="danger" disabled={revoke.isPending} onClick={() => void onRevoke(t.id)}>
                      Confirm revoke
                    </Button>
                    <Button variant="secondary" onClick={() => setConfirming(null)}>
                      Cancel
                    </Button>
                  </span>
                ) : (
                  <Button variant="secondary" aria-label={`Revoke ${t.name}`} onClick={() => setConfirming(t.id)}>
                    Revoke
                  </Button>
                )}
              </td>
            </tr>
          );
        })}
      </DataTable>
    </>
  );
}

function CreateToken({ onCreated }: { onCreated: (created: { name: string; token: string }) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const limits = useQuery(trpc.me.tokens.limits.queryOptions());
  const create = useMutation(trpc.me.tokens.create.mutationOptions());

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = event.currentTarget;
    const data = new FormData(form);
    const scopes = data.getAll("scopes").map(String) as Array<(typeof SCOPES)[number]["scope"]>;
    setErrors({});
    if (scopes.length === 0) {
      setErrors({ scopes: "Choose at least one scope." });
      return;
    }
    try {
      const result = await create.mutateAsync({
        name: String(data.get("name") ?? ""),
        expiresInDays: Number(data.get("expiry") ?? limits.data?.defaultDays ?? 90),
        scopes,
      });
      form.reset();
      onCreated({ name: result.accessToken.name, token: result.token });
      await queryClient.invalidateQueries({ queryKey: trpc.me.tokens.list.pathKey() });
    } catch (error) {
      setErrors(fieldErrorsOf(error));
    }
  }

  return (
    <Card>
      <h2 className="text-base font-semibold text-slate-900">New token</h2>
      <form
        className="mt-4 space-y-4"
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        aria-label="Create an access token"
      >
        <div className="grid items-start gap-4 sm:grid-cols-[1fr_14rem]">
          <Field
            id="token-name"
            name="name"
            label="Token name"
            placeholder="e.g. CI on genomics-pipelines"
            autoComplete="off"
            required
            error={errors.name}
          />
          {limits.data ? (
            <SelectField
              id="token-expiry"
              name="expiry"
              label="Expires after"
              defaultValue={String(limits.data.defaultDays)}
              selectClassName="h-9"
            >
              {expiryChoices(limits.data.maxDays).map((c) => (
                <option key={c.value} value={c.value}>
                  {c.label}
                </option>
              ))}
            </SelectField>
          ) : (
            <p className="text-sm text-slate-500 sm:mt-7">Loading lifetimes…</p>
          )}
        </div>
        <fieldset aria-describedby={errors.scopes ? "token-scopes-error" : undefined}>
          <legend className="text-sm font-medium text-slate-900">Scopes</legend>
          <p className="mt-0.5 text-sm text-slate-500">
            What the token may do, within your own roles. Choose only what the script needs.
          </p>
          <div className="mt-3 grid gap-3 sm:grid-cols-2">
            {SCOPES.map((s) => (
              <Checkbox
                key={s.scope}
                id={`token-scope-${s.scope}`}
                name="scopes"
                value={s.scope}
                defaultChecked={s.scope === "read"}
                label={s.label}
                hint={s.hint}
              />
            ))}
          </div>
          {errors.scopes ? (
            <p id="token-scopes-error" className="mt-2 text-sm text-red-600">
              {errors.scopes}
            </p>
          ) : null}
        </fieldset>
        {errors.expiresInDays ? <Alert>{errors.expiresInDays}</Alert> : null}
        {errors.form ? <Alert>{errors.form}</Alert> : null}
        <div>
          <Button type="submit" className="h-9" disabled={create.isPending || !limits.data}>
            {create.isPending ? "Creating…" : "Create token"}
          </Button>
        </div>
      </form>
    </Card>
  );
}

function NewToken({ name, token, onDone }: { name: string; token: string; onDone: () => void }) {
  const input = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<"yes" | "failed" | null>(null);

  async function copy() {
    try {
      await navigator.clipboard.writeText(token);
      setCopied("yes");
    } catch {
      // No clipboard permission (or an insecure origin): select the text so Ctrl+C works.
      input.current?.select();
      setCopied("failed");
    }
  }

  return (
    <section aria-labelledby="new-token-heading" className="rounded-xl bg-green-50 p-6 ring-1 ring-green-200">
      <h2 id="new-token-heading" className="text-base font-semibold text-green-900">
        Token “{name}” created
      </h2>
      <p className="mt-1 text-sm text-green-900">
        <strong>Copy it now: you won’t see it again.</strong> Lockstep stores only a hash of it. If you lose it, revoke
        it and create a new one.
      </p>
      <div className="mt-4 flex flex-wrap items-center gap-2">
        <label htmlFor="new-token" className="sr-only">
          New access token
        </label>
        <input
          ref={input}
          id="new-token"
          readOnly
          value={token}
          onFocus={(e) => e.currentTarget.select()}
          spellCheck={false}
          className="min-w-0 flex-1 rounded-md border-0 bg-white px-3 py-2 font-mono text-sm text-slate-900 shadow-sm ring-1 ring-inset ring-green-300 focus:ring-2 focus:ring-inset focus:ring-green-600"
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
          Copying was blocked by the browser; the token is selected, press Ctrl+C.
        </p>
      ) : null}
    </section>
  );
}
