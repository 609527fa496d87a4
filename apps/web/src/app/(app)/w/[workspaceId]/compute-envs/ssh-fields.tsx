"use client";

import Link from "next/link";
import { useState } from "react";
import { Alert, Field, RadioCard, SelectField, Textarea } from "@lockstep/ui";
import type { TCredentialsState } from "./cloud-fields";
import { sshConfig, type TComputeEnv, type TSshKind } from "./kinds";

/** Fields the SSH kinds send under `config`, so errors on any other name are shown elsewhere. */
export const SSH_FIELDS = [
  "host",
  "port",
  "credentialId",
  "launchDir",
  "queue",
  "headOptions",
  "java",
  "nextflow",
  "libDir",
  "hostKeySha256",
] as const;

export const REQUIRED_SSH_FIELDS: Partial<Record<(typeof SSH_FIELDS)[number], string>> = {
  host: "Enter the login node's host name.",
  credentialId: "Choose the SSH credentials to use.",
  launchDir: "Enter the launch directory on the cluster.",
};

const QUEUE_LABEL: Record<TSshKind, string> = {
  "ssh-slurm": "Partition",
  "ssh-lsf": "Queue",
  "ssh-pbspro": "Queue",
  "ssh-sge": "Queue",
};
const OPTION_EXAMPLES: Record<TSshKind, string> = {
  "ssh-slurm": "--time=04:00:00\n--mem=8G",
  "ssh-lsf": "-W 240\n-M 8G",
  "ssh-pbspro": "-l walltime=04:00:00\n-l mem=8gb",
  "ssh-sge": "-l h_rt=04:00:00\n-pe smp 2",
};

/**
 * The login node, the cluster account's credentials and where runs live on the cluster. The host
 * key is not a field: it is shown by "Check connection" and trusted only when confirmed there.
 */
export function SshFields({
  kind,
  formId,
  workspaceId,
  existing,
  credentials,
  errors,
}: {
  kind: TSshKind;
  formId: string;
  workspaceId: string;
  existing?: TComputeEnv;
  credentials: TCredentialsState;
  errors: Record<string, string>;
}) {
  // The settings prefill the fields only when the environment is of this kind.
  const config = existing?.kind === kind ? sshConfig(existing) : null;
  const initialMode = config?.nextflow.mode === "path" ? "path" : "stage";
  const [mode, setMode] = useState<"stage" | "path">(initialMode);
  return (
    <div className="space-y-5 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200">
      <div className="grid items-start gap-5 sm:grid-cols-[1fr_8rem]">
        <Field
          id={`${formId}-host`}
          name="host"
          label="Login node"
          defaultValue={config?.host ?? ""}
          placeholder="login.cluster.example.org"
          code
          required
          error={errors.host}
          hint="Host name or IP address of the cluster's login node."
        />
        <Field
          id={`${formId}-port`}
          name="port"
          label="Port"
          type="number"
          defaultValue={String(config?.port ?? 22)}
          error={errors.port}
        />
      </div>
      <SshCredentialField
        id={`${formId}-credential`}
        workspaceId={workspaceId}
        credentials={credentials}
        defaultValue={config?.credentialId ?? ""}
        error={errors.credentialId}
      />
      <Field
        id={`${formId}-launchdir`}
        name="launchDir"
        label="Launch directory"
        defaultValue={config?.launchDir ?? ""}
        placeholder="/home/alice/lockstep/runs"
        code
        required
        error={errors.launchDir}
        hint="On the cluster, only the account may enter it (0700). Each run gets <launch directory>/<run id>: its scripts, console, trace and, while it runs, its secrets store."
      />
      <Field
        id={`${formId}-queue`}
        name="queue"
        label={`${QUEUE_LABEL[kind]} (optional)`}
        defaultValue={config?.queue ?? ""}
        autoComplete="off"
        spellCheck={false}
        error={errors.queue}
        hint="Leave empty for the scheduler's default."
      />
      <Textarea
        id={`${formId}-headoptions`}
        name="headOptions"
        label="Head-job options (optional)"
        defaultValue={(config?.headOptions ?? []).join("\n")}
        rows={3}
        code
        placeholder={OPTION_EXAMPLES[kind]}
        error={errors.headOptions}
        hint="One per line, from the scheduler's allowlist: resources and accounting of the Nextflow head job only."
      />
      <Field
        id={`${formId}-java`}
        name="java"
        label="Java on the cluster"
        defaultValue={config?.java || "java"}
        code
        error={errors.java}
        hint="java from the account's PATH, or an absolute path such as /opt/java/bin/java."
      />
      <fieldset>
        <legend className="text-sm font-medium text-slate-900">Nextflow on the cluster</legend>
        <div className="mt-1.5 grid gap-3 sm:grid-cols-2">
          <RadioCard
            id={`${formId}-nf-stage`}
            name="nextflowMode"
            value="stage"
            checked={mode === "stage"}
            onChange={() => setMode("stage")}
            title="Staged by Lockstep"
          >
            Copied into the account's ~/.cache over SFTP and verified against Lockstep's pinned checksums.
          </RadioCard>
          <RadioCard
            id={`${formId}-nf-path`}
            name="nextflowMode"
            value="path"
            checked={mode === "path"}
            onChange={() => setMode("path")}
            title="Already installed"
          >
            The pinned Nextflow jars are in a directory on the cluster (verified the same way).
          </RadioCard>
        </div>
      </fieldset>
      {mode === "path" ? (
        <Field
          id={`${formId}-libdir`}
          name="libDir"
          label="Nextflow lib directory"
          defaultValue={config?.nextflow.mode === "path" ? config.nextflow.libDir : ""}
          placeholder="/opt/nextflow/24.10.8/lib"
          code
          error={errors.libDir ?? errors.nextflow}
        />
      ) : null}
    </div>
  );
}

function SshCredentialField({
  id,
  workspaceId,
  credentials,
  defaultValue,
  error,
}: {
  id: string;
  workspaceId: string;
  credentials: TCredentialsState;
  defaultValue: string;
  error?: string;
}) {
  const label = "SSH credentials";
  if (credentials.status === "pending") return <p className="text-sm text-slate-500">Loading credentials…</p>;
  if (credentials.status === "error") return <Alert>{credentials.message}</Alert>;
  const options = credentials.list.filter((c) => c.provider === "ssh");
  if (options.length === 0) {
    return (
      <div
        role="note"
        aria-label={`No ${label}`}
        className="rounded-md bg-amber-50 px-3 py-2.5 text-sm text-amber-800 ring-1 ring-amber-200"
      >
        <p className="font-medium">This workspace has no {label} yet.</p>
        <p className="mt-0.5">
          The cluster account's name and private key.{" "}
          <Link
            href={`/w/${workspaceId}/credentials`}
            className="font-semibold text-amber-900 underline hover:text-amber-700"
          >
            Add them on the Credentials page
          </Link>
          , then come back to create the environment.
        </p>
      </div>
    );
  }
  const initial = options.some((c) => c.id === defaultValue)
    ? defaultValue
    : options.length === 1
      ? options[0]!.id
      : "";
  return (
    <SelectField
      id={id}
      name="credentialId"
      label={label}
      defaultValue={initial}
      error={error}
      hint="The cluster account Lockstep logs in as: every run of this environment runs as that account."
    >
      {initial === "" ? (
        <option value="" disabled>
          Choose credentials…
        </option>
      ) : null}
      {options.map((c) => (
        <option key={c.id} value={c.id}>
          {c.name}
        </option>
      ))}
    </SelectField>
  );
}
