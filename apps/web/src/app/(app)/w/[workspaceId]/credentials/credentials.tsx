"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import { useCallback, useId, useRef, useState, type ChangeEvent, type FormEvent } from "react";
import { can } from "@lockstep/auth/permissions";
import type { TAppRouter } from "@lockstep/api";
import { importPublicKey, seal, type TPublicKey } from "@lockstep/crypto";
import {
  Alert,
  Button,
  Dialog,
  EmptyState,
  Field,
  FileButton,
  FormFooter,
  PageHeader,
  RadioCard,
  Textarea,
} from "@lockstep/ui";
import { credentialProblem } from "@lockstep/validators";
import { errorMessage } from "~/components/errors";
import { formatDateTime } from "~/components/secrets/format";
import { SealError, writeErrorsOf } from "~/components/secrets/use-secrets";
import { WorkspaceFrame } from "~/components/runs/workspace-frame";
import { ConfirmDeleteDialog } from "~/components/confirm-delete-dialog";
import { DataTable, RowActions } from "~/components/data-table";
import { PageNotice, usePageDialogs } from "~/components/page-dialogs";
import { LoadMore, nextPageAfter, PAGE_SIZE, rowsOf } from "~/components/paging";
import { useTRPC } from "~/trpc/react";
import { PROVIDER_LABEL } from "../compute-envs/kinds";

type TCredential = inferRouterOutputs<TAppRouter>["credentials"]["list"][number];
type TProvider = TCredential["provider"];
type TAwsMode = "keys" | "role";

/** A service-account key is a few KiB; the server takes at most 16 KiB of JSON. */
const MAX_JSON_BYTES = 16_384;

export function Credentials({ workspaceId }: { workspaceId: string }) {
  return (
    <WorkspaceFrame workspaceId={workspaceId} section="credentials">
      {(w) => <CredentialsPage workspaceId={w.id} manages={can(w.role, "compute-envs:manage")} />}
    </WorkspaceFrame>
  );
}

type TDialog =
  { kind: "create" } | { kind: "replace"; credential: TCredential } | { kind: "delete"; credential: TCredential };

function CredentialsPage({ workspaceId, manages }: { workspaceId: string; manages: boolean }) {
  const trpc = useTRPC();
  const list = useInfiniteQuery(
    trpc.credentials.list.infiniteQueryOptions(
      { workspaceId, limit: PAGE_SIZE },
      { getNextPageParam: nextPageAfter() },
    ),
  );
  const rows = rowsOf(list.data);
  const { dialog, notice, open, close, done } = usePageDialogs<TDialog>();

  return (
    <>
      <PageHeader
        title="Credentials"
        description="Cloud credentials (AWS, Google Cloud) and cluster accounts' SSH keys for the compute environments of this workspace. Write-only: once saved, nobody can read them back."
        actions={manages ? <Button onClick={() => open({ kind: "create" })}>Add credentials</Button> : null}
      />
      <PageNotice notice={notice} />
      {list.isPending ? (
        <p className="text-sm text-slate-500">Loading credentials…</p>
      ) : list.isError ? (
        <Alert>{errorMessage(list.error)}</Alert>
      ) : rows.length === 0 ? (
        <EmptyState title="No credentials yet">
          Credentials are write-only: they are encrypted in your browser before they are sent, nobody can view them once
          saved, and only the worker that runs the pipelines can read them.{" "}
          {manages
            ? "Add an AWS access key or role, a Google service-account key, or a cluster account's SSH key."
            : "Owners, admins and maintainers of this workspace add them."}
        </EmptyState>
      ) : (
        <DataTable label="Credentials" columns={["Name", "Provider", "Created", "Updated"]} actions={manages}>
          {rows.map((c) => (
            <tr key={c.id}>
              <td className="whitespace-nowrap px-5 py-3 font-medium text-slate-900">{c.name}</td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-700">{PROVIDER_LABEL[c.provider]}</td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-600">
                <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
              </td>
              <td className="whitespace-nowrap px-5 py-3 text-slate-600">
                <time dateTime={c.updatedAt}>{formatDateTime(c.updatedAt)}</time>
              </td>
              {manages ? (
                <RowActions>
                  <Button
                    variant="secondary"
                    aria-label={`Replace ${c.name}`}
                    onClick={() => open({ kind: "replace", credential: c })}
                  >
                    Replace
                  </Button>
                  <Button
                    variant="secondary"
                    aria-label={`Delete ${c.name}`}
                    onClick={() => open({ kind: "delete", credential: c })}
                  >
                    Delete
                  </Button>
                </RowActions>
              ) : null}
            </tr>
          ))}
        </DataTable>
      )}
      {list.data ? <LoadMore query={list} label="Load more credentials" /> : null}
      {rows.length ? (
        <p className="mt-3 text-sm text-slate-500">
          Values are never shown: only the worker can read them.
          {manages ? "" : " Only owners, admins and maintainers change credentials."}
        </p>
      ) : null}

      {dialog?.kind === "create" || dialog?.kind === "replace" ? (
        <CredentialDialog
          workspaceId={workspaceId}
          existing={dialog.kind === "replace" ? dialog.credential : undefined}
          onClose={close}
          onSaved={(name) => done(dialog.kind === "replace" ? `Replaced ${name}.` : `Added ${name}.`)}
        />
      ) : dialog?.kind === "delete" ? (
        <DeleteCredentialDialog
          workspaceId={workspaceId}
          credential={dialog.credential}
          onClose={close}
          onDeleted={() => done(`Deleted ${dialog.credential.name}.`)}
        />
      ) : null}
    </>
  );
}

/**
 * Seals a credential's JSON in this browser with the server's public key, bound to the workspace
 * and the credential's name: the plaintext never leaves the page.
 */
function useCredentialSealer(workspaceId: string) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  // Fetched as soon as a dialog opens, so sealing does not wait for it on submit.
  useQuery({ ...trpc.secrets.publicKey.queryOptions(), staleTime: 60_000 });
  const imported = useRef<{ kid: string; key: string; handle: Promise<TPublicKey> } | null>(null);

  return useCallback(
    async (name: string, json: string): Promise<string> => {
      if (!globalThis.crypto?.subtle) {
        throw new SealError(
          "This browser cannot encrypt here: Lockstep must be opened over HTTPS (or on localhost) to seal credentials before sending them.",
        );
      }
      const spec = await queryClient.fetchQuery({ ...trpc.secrets.publicKey.queryOptions(), staleTime: 60_000 });
      if (imported.current?.kid !== spec.kid || imported.current.key !== spec.publicKey) {
        imported.current = { kid: spec.kid, key: spec.publicKey, handle: importPublicKey(spec.kid, spec.publicKey) };
      }
      try {
        return await seal(await imported.current.handle, json, { scope: "credential", ownerId: workspaceId, name });
      } catch {
        imported.current = null;
        throw new SealError("This browser could not encrypt the credentials. Reload the page and try again.");
      }
    },
    [queryClient, trpc, workspaceId],
  );
}

type TErrors = Partial<
  Record<
    | "name"
    | "accessKeyId"
    | "secretAccessKey"
    | "roleArn"
    | "externalId"
    | "json"
    | "user"
    | "privateKey"
    | "passphrase"
    | "form",
    string
  >
>;
const AWS_FIELDS = ["accessKeyId", "secretAccessKey", "roleArn", "externalId"] as const;
const SSH_FIELDS = ["user", "privateKey", "passphrase"] as const;

/** Places a `credentialProblem` message ("value: field: rule") on its field. It never quotes a value. */
function placeProblem(provider: TProvider, problem: string): TErrors {
  const message = problem.replace(/^value: /, "");
  if (provider === "google") return { json: message };
  const field = (provider === "ssh" ? SSH_FIELDS : AWS_FIELDS).find((f) => message.startsWith(`${f}: `));
  return field ? { [field]: message.slice(field.length + 2) } : { form: message };
}

function CredentialDialog({
  workspaceId,
  existing,
  onClose,
  onSaved,
}: {
  workspaceId: string;
  existing?: TCredential;
  onClose: () => void;
  onSaved: (name: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const formId = useId();
  const sealFor = useCredentialSealer(workspaceId);
  const create = useMutation(trpc.credentials.create.mutationOptions());
  const update = useMutation(trpc.credentials.update.mutationOptions());
  const [provider, setProvider] = useState<TProvider>(existing?.provider ?? "aws");
  const [awsMode, setAwsMode] = useState<TAwsMode>("keys");
  const [json, setJson] = useState("");
  const [fileNote, setFileNote] = useState<string | null>(null);
  const [errors, setErrors] = useState<TErrors>({});
  const [sealing, setSealing] = useState(false);
  const saving = sealing || create.isPending || update.isPending;

  async function onFile(event: ChangeEvent<HTMLInputElement>) {
    const file = event.target.files?.[0];
    event.target.value = "";
    if (!file) return;
    if (file.size > MAX_JSON_BYTES) {
      setErrors(
        provider === "ssh"
          ? { privateKey: `${file.name} is larger than 16 KiB; a private key is a few KiB.` }
          : { json: `${file.name} is larger than 16 KiB; a service-account key is a few KiB of JSON.` },
      );
      return;
    }
    try {
      setJson(await file.text());
      setFileNote(`Read ${file.name}.`);
      setErrors({});
    } catch {
      setErrors(
        provider === "ssh"
          ? { privateKey: `${file.name} could not be read.` }
          : { json: `${file.name} could not be read.` },
      );
    }
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (key: string) => String(data.get(key) ?? "").trim();
    const name = existing ? existing.name : text("name");

    const missing: TErrors = {};
    if (!existing && name === "") missing.name = "Give the credentials a name.";
    let value: string;
    if (provider === "google") {
      if (json.trim() === "") missing.json = "Paste the service-account key JSON, or upload its file.";
      value = json.trim();
    } else if (provider === "ssh") {
      // The key as pasted (its line breaks matter); the passphrase exactly as typed.
      const privateKey = json.trim() === "" ? "" : `${json.trim()}\n`;
      const passphrase = String(data.get("passphrase") ?? "");
      if (text("user") === "") missing.user = "Enter the cluster account's name.";
      if (privateKey === "") missing.privateKey = "Paste the private key, or upload its file.";
      value = JSON.stringify({ user: text("user"), privateKey, ...(passphrase ? { passphrase } : {}) });
    } else if (awsMode === "keys") {
      if (text("accessKeyId") === "") missing.accessKeyId = "Enter the access key ID.";
      if (text("secretAccessKey") === "") missing.secretAccessKey = "Enter the secret access key.";
      value = JSON.stringify({ accessKeyId: text("accessKeyId"), secretAccessKey: text("secretAccessKey") });
    } else {
      if (text("roleArn") === "") missing.roleArn = "Enter the ARN of the role to assume.";
      value = JSON.stringify({
        roleArn: text("roleArn"),
        ...(text("externalId") ? { externalId: text("externalId") } : {}),
      });
    }
    if (Object.keys(missing).length > 0) {
      setErrors(missing);
      return;
    }
    const problem = credentialProblem(provider, value);
    if (problem) {
      setErrors(placeProblem(provider, problem));
      return;
    }
    setErrors({});

    try {
      setSealing(true);
      let sealed: string;
      try {
        sealed = await sealFor(name, value);
      } finally {
        setSealing(false);
      }
      if (existing) await update.mutateAsync({ workspaceId, credentialId: existing.id, value: { sealed } });
      else await create.mutateAsync({ workspaceId, name, provider, value: { sealed } });
      await queryClient.invalidateQueries({ queryKey: trpc.credentials.list.pathKey() });
      onSaved(name);
    } catch (error) {
      const e = writeErrorsOf(error);
      setErrors({ name: e.name, form: e.value ?? e.form });
    }
  }

  const title = existing ? `Replace ${existing.name}` : "Add credentials";

  return (
    <Dialog
      title={title}
      description={
        existing
          ? "The current value cannot be shown: Lockstep never reveals credentials once they are saved. Enter new ones to overwrite them; runs launched from now on use the new ones."
          : "Encrypted in this browser before they are sent. Once saved, nobody can view them again; only the worker can read them."
      }
      onClose={onClose}
      size="lg"
      footer={
        <FormFooter formId={formId} onCancel={onClose} saving={saving}>
          {existing ? "Replace credentials" : "Add credentials"}
        </FormFooter>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        className="space-y-5"
        aria-label={title}
        autoComplete="off"
        // A field's error goes once the user changes it; the rest wait for the next submit.
        onChange={(e) => {
          const field = e.target instanceof HTMLInputElement ? e.target.name : "";
          if (field && field in errors) setErrors((prev) => ({ ...prev, [field]: undefined }));
        }}
      >
        {existing ? (
          <p className="text-sm text-slate-700">
            Provider: <strong className="font-semibold text-slate-900">{PROVIDER_LABEL[existing.provider]}</strong>
          </p>
        ) : (
          <>
            <Field
              id={`${formId}-name`}
              name="name"
              label="Name"
              autoComplete="off"
              required
              error={errors.name}
              placeholder="aws-production"
            />
            <fieldset>
              <legend className="text-sm font-medium text-slate-900">Provider</legend>
              <div className="mt-1.5 grid gap-3 sm:grid-cols-3">
                <RadioCard
                  id={`${formId}-aws`}
                  value="AWS"
                  name="provider"
                  checked={provider === "aws"}
                  onChange={() => setProvider("aws")}
                  title="AWS"
                >
                  An access key pair, or a role to assume.
                </RadioCard>
                <RadioCard
                  id={`${formId}-google`}
                  value="Google"
                  name="provider"
                  checked={provider === "google"}
                  onChange={() => setProvider("google")}
                  title="Google"
                >
                  A service-account key (JSON).
                </RadioCard>
                <RadioCard
                  id={`${formId}-ssh`}
                  value="SSH"
                  name="provider"
                  checked={provider === "ssh"}
                  onChange={() => setProvider("ssh")}
                  title="SSH"
                >
                  A cluster account and its private key.
                </RadioCard>
              </div>
            </fieldset>
          </>
        )}

        {provider === "aws" ? (
          <>
            <fieldset>
              <legend className="text-sm font-medium text-slate-900">AWS credentials</legend>
              <div className="mt-1.5 grid gap-3 sm:grid-cols-2">
                <RadioCard
                  id={`${formId}-keys`}
                  value="Access key pair"
                  name="awsMode"
                  checked={awsMode === "keys"}
                  onChange={() => setAwsMode("keys")}
                  title="Access key pair"
                >
                  An access key ID and its secret access key.
                </RadioCard>
                <RadioCard
                  id={`${formId}-role`}
                  value="Role ARN"
                  name="awsMode"
                  checked={awsMode === "role"}
                  onChange={() => setAwsMode("role")}
                  title="Role ARN"
                >
                  An IAM role the worker assumes.
                </RadioCard>
              </div>
            </fieldset>
            {awsMode === "keys" ? (
              <>
                <Field
                  id={`${formId}-akid`}
                  name="accessKeyId"
                  label="Access key ID"
                  placeholder="AKIA…"
                  code
                  error={errors.accessKeyId}
                />
                <Field
                  id={`${formId}-secret`}
                  name="secretAccessKey"
                  label="Secret access key"
                  type="password"
                  secret
                  error={errors.secretAccessKey}
                />
              </>
            ) : (
              <>
                <Field
                  id={`${formId}-arn`}
                  name="roleArn"
                  label="Role ARN"
                  placeholder="arn:aws:iam::123456789012:role/lockstep"
                  code
                  error={errors.roleArn}
                />
                <Field
                  id={`${formId}-external`}
                  name="externalId"
                  label="External ID (optional)"
                  code
                  error={errors.externalId}
                />
              </>
            )}
          </>
        ) : provider === "ssh" ? (
          <div className="space-y-3">
            <Field
              id={`${formId}-user`}
              name="user"
              label="Cluster account"
              placeholder="alice"
              code
              autoComplete="off"
              error={errors.user}
              hint="The Unix account on the cluster every run of environments using these credentials runs as."
            />
            <Textarea
              id={`${formId}-key`}
              label="Private key"
              value={json}
              onChange={(e) => {
                setJson(e.target.value);
                setFileNote(null);
                setErrors((prev) => ({ ...prev, privateKey: undefined }));
              }}
              rows={8}
              secret
              code
              placeholder={"-----BEGIN OPENSSH PRIVATE KEY-----\n…\n-----END OPENSSH PRIVATE KEY-----"}
              error={errors.privateKey}
              hint={
                fileNote ??
                "OpenSSH or PEM. Use a key made for Lockstep, authorised only for this account. The login node's host key is confirmed on the compute environment."
              }
            />
            <div className="flex flex-wrap items-center gap-3">
              <FileButton id={`${formId}-keyfile`} onFile={(e) => void onFile(e)}>
                Upload the key file
              </FileButton>
              <span className="text-sm text-slate-500">Read in this browser; only its sealed form is sent.</span>
            </div>
            <Field
              id={`${formId}-passphrase`}
              name="passphrase"
              label="Passphrase (optional)"
              type="password"
              secret
              error={errors.passphrase}
              hint="If the key is encrypted."
            />
          </div>
        ) : (
          <div className="space-y-3">
            <Textarea
              id={`${formId}-json`}
              label="Service-account key (JSON)"
              value={json}
              onChange={(e) => {
                setJson(e.target.value);
                setFileNote(null);
                setErrors((prev) => ({ ...prev, json: undefined }));
              }}
              rows={8}
              secret
              placeholder={'{\n  "type": "service_account",\n  "project_id": "…",\n  …\n}'}
              error={errors.json}
              hint={fileNote ?? "The key file downloaded from the Google Cloud console."}
            />
            <div className="flex flex-wrap items-center gap-3">
              <FileButton id={`${formId}-file`} accept="application/json,.json" onFile={(e) => void onFile(e)}>
                Upload the key file
              </FileButton>
              <span className="text-sm text-slate-500">Read in this browser; only its sealed form is sent.</span>
            </div>
          </div>
        )}
        {errors.form ? <Alert>{errors.form}</Alert> : null}
      </form>
    </Dialog>
  );
}

function DeleteCredentialDialog({
  workspaceId,
  credential,
  onClose,
  onDeleted,
}: {
  workspaceId: string;
  credential: TCredential;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.credentials.delete.mutationOptions());
  return (
    <ConfirmDeleteDialog
      title={`Delete ${credential.name}`}
      confirmLabel="Delete credentials"
      onClose={onClose}
      onDeleted={onDeleted}
      onConfirm={async () => {
        await remove.mutateAsync({ workspaceId, credentialId: credential.id });
        await queryClient.invalidateQueries({ queryKey: trpc.credentials.list.pathKey() });
      }}
    >
      <p>
        Delete <strong className="font-semibold text-slate-900 [overflow-wrap:anywhere]">{credential.name}</strong> (
        {PROVIDER_LABEL[credential.provider]})? They are erased for good and cannot be recovered; compute environments
        that use them can no longer reach the cloud or cluster with them.
      </p>
    </ConfirmDeleteDialog>
  );
}
