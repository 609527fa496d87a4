"use client";

import Link from "next/link";
import type { ReactNode } from "react";
import { Alert, Field } from "@lockstep/ui";
import {
  CLOUD_PROVIDER,
  configText,
  DEFAULT_NEXTFLOW_VERSION,
  DEFAULT_SECRET_PREFIX,
  PROVIDER_LABEL,
  type TCloudKind,
  type TComputeEnv,
  type TCredential,
} from "./kinds";

/** The credentials list as the dialog has it: still loading, failed, or loaded. */
export type TCredentialsState =
  { status: "pending" } | { status: "error"; message: string } | { status: "ready"; list: TCredential[] };

type TCloudFieldsProps = {
  formId: string;
  workspaceId: string;
  /** The environment being edited; its settings prefill the fields only when it is of this kind. */
  existing?: TComputeEnv;
  credentials: TCredentialsState;
  errors: Record<string, string>;
};

/** Fields the cloud kinds send under `config`, so errors on any other name are shown elsewhere. */
export const CLOUD_FIELDS = [
  "credentialId",
  "region",
  "jobQueue",
  "executionRoleArn",
  "headImage",
  "secretPrefix",
  "kmsKeyId",
  "projectId",
  "serviceAccount",
  "machineType",
] as const;

/** Required settings, checked in the browser only for being empty: the server checks their form. */
export const REQUIRED_CLOUD_FIELDS: Record<TCloudKind, Partial<Record<(typeof CLOUD_FIELDS)[number], string>>> = {
  "aws-batch": {
    credentialId: "Choose the AWS credentials to use.",
    region: "Enter the AWS region.",
    jobQueue: "Enter the job queue.",
    executionRoleArn: "Enter the ARN of the execution role.",
    headImage: "Enter the head job's container image.",
  },
  "google-batch": {
    credentialId: "Choose the Google Cloud credentials to use.",
    projectId: "Enter the project ID.",
    region: "Enter the region.",
    serviceAccount: "Enter the service account's email.",
  },
};

const mono = "[&_input]:font-mono";

export function AwsBatchFields({ formId, workspaceId, existing, credentials, errors }: TCloudFieldsProps) {
  const ce = existing?.kind === "aws-batch" ? existing : undefined;
  return (
    <CloudBox>
      <CredentialField
        id={`${formId}-credential`}
        kind="aws-batch"
        workspaceId={workspaceId}
        credentials={credentials}
        defaultValue={configText(ce, "credentialId")}
        error={errors.credentialId}
      />
      <div className="grid items-start gap-5 sm:grid-cols-2">
        <Field
          id={`${formId}-region`}
          name="region"
          label="Region"
          defaultValue={configText(ce, "region")}
          placeholder="eu-west-1"
          autoComplete="off"
          spellCheck={false}
          className={mono}
          error={errors.region}
          hint="Of the job queue and of the run's secrets in Secrets Manager."
        />
        <Field
          id={`${formId}-queue`}
          name="jobQueue"
          label="Job queue"
          defaultValue={configText(ce, "jobQueue")}
          placeholder="lockstep-head"
          autoComplete="off"
          spellCheck={false}
          className={mono}
          error={errors.jobQueue}
          hint="Name or ARN of the Batch queue the Nextflow head job goes to."
        />
      </div>
      <Field
        id={`${formId}-role`}
        name="executionRoleArn"
        label="Execution role ARN"
        defaultValue={configText(ce, "executionRoleArn")}
        placeholder="arn:aws:iam::123456789012:role/lockstep-batch-execution"
        autoComplete="off"
        spellCheck={false}
        className={mono}
        error={errors.executionRoleArn}
        hint="The role ECS uses to start the head container and read the run's secrets (secretsmanager:GetSecretValue on the prefix below)."
      />
      <Field
        id={`${formId}-image`}
        name="headImage"
        label="Head image"
        defaultValue={configText(ce, "headImage")}
        placeholder={`nextflow/nextflow:${DEFAULT_NEXTFLOW_VERSION}`}
        autoComplete="off"
        spellCheck={false}
        className={mono}
        error={errors.headImage}
        hint="The container image the Nextflow head job runs in; it must contain Nextflow."
      />
      <Field
        id={`${formId}-prefix`}
        name="secretPrefix"
        label="Secret name prefix"
        defaultValue={configText(ce, "secretPrefix") || DEFAULT_SECRET_PREFIX}
        autoComplete="off"
        spellCheck={false}
        className={mono}
        error={errors.secretPrefix}
        hint="Run secrets are stored as <prefix><run id>/<NAME>. The IAM policies of the credentials and the execution role are scoped to this prefix (docs/aws.md): change them together."
      />
      <Field
        id={`${formId}-kms`}
        name="kmsKeyId"
        label="KMS key (optional)"
        defaultValue={configText(ce, "kmsKeyId")}
        placeholder="arn:aws:kms:eu-west-1:123456789012:key/…"
        autoComplete="off"
        spellCheck={false}
        className={mono}
        error={errors.kmsKeyId}
        hint="Encrypts the run's secrets. Leave empty for the AWS managed key aws/secretsmanager."
      />
    </CloudBox>
  );
}

export function GoogleBatchFields({ formId, workspaceId, existing, credentials, errors }: TCloudFieldsProps) {
  const ce = existing?.kind === "google-batch" ? existing : undefined;
  return (
    <CloudBox>
      <CredentialField
        id={`${formId}-credential`}
        kind="google-batch"
        workspaceId={workspaceId}
        credentials={credentials}
        defaultValue={configText(ce, "credentialId")}
        error={errors.credentialId}
      />
      <div className="grid items-start gap-5 sm:grid-cols-2">
        <Field
          id={`${formId}-project`}
          name="projectId"
          label="Project ID"
          defaultValue={configText(ce, "projectId")}
          placeholder="lockstep-pipelines"
          autoComplete="off"
          spellCheck={false}
          className={mono}
          error={errors.projectId}
          hint="The project the Batch jobs run in and the run's secrets are kept in."
        />
        <Field
          id={`${formId}-region`}
          name="region"
          label="Region"
          defaultValue={configText(ce, "region")}
          placeholder="europe-west4"
          autoComplete="off"
          spellCheck={false}
          className={mono}
          error={errors.region}
          hint="Where the jobs run and the run's secrets are replicated."
        />
      </div>
      <Field
        id={`${formId}-account`}
        name="serviceAccount"
        label="Service account"
        type="email"
        defaultValue={configText(ce, "serviceAccount")}
        placeholder="nextflow-batch@lockstep-pipelines.iam.gserviceaccount.com"
        autoComplete="off"
        spellCheck={false}
        className={mono}
        error={errors.serviceAccount}
        hint="The account the head job and its tasks run as (roles/secretmanager.secretAccessor on the prefix below)."
      />
      <div className="grid items-start gap-5 sm:grid-cols-2">
        <Field
          id={`${formId}-image`}
          name="headImage"
          label="Head image (optional)"
          defaultValue={configText(ce, "headImage")}
          placeholder={`nextflow/nextflow:${DEFAULT_NEXTFLOW_VERSION}`}
          autoComplete="off"
          spellCheck={false}
          className={mono}
          error={errors.headImage}
          hint="Leave empty for nextflow/nextflow at the Nextflow version above."
        />
        <Field
          id={`${formId}-machine`}
          name="machineType"
          label="Machine type (optional)"
          defaultValue={configText(ce, "machineType")}
          placeholder="e2-standard-2"
          autoComplete="off"
          spellCheck={false}
          className={mono}
          error={errors.machineType}
          hint="The Compute Engine machine type of the head job. Leave empty for the default."
        />
      </div>
      <Field
        id={`${formId}-prefix`}
        name="secretPrefix"
        label="Secret name prefix"
        defaultValue={configText(ce, "secretPrefix") || DEFAULT_SECRET_PREFIX}
        autoComplete="off"
        spellCheck={false}
        className={mono}
        error={errors.secretPrefix}
        hint="Run secrets get the ids <prefix><run id>-<NAME>. The IAM conditions of both service accounts are scoped to this prefix (docs/google.md): change them together."
      />
    </CloudBox>
  );
}

function CloudBox({ children }: { children: ReactNode }) {
  return <div className="space-y-5 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200">{children}</div>;
}

/** The workspace's credentials for this cloud, or what to do when it has none. */
function CredentialField({
  id,
  kind,
  workspaceId,
  credentials,
  defaultValue,
  error,
}: {
  id: string;
  kind: TCloudKind;
  workspaceId: string;
  credentials: TCredentialsState;
  defaultValue: string;
  error?: string;
}) {
  const provider = CLOUD_PROVIDER[kind];
  const label = `${PROVIDER_LABEL[provider]} credentials`;
  if (credentials.status === "pending") {
    return (
      <div>
        <p className="block text-sm font-medium text-slate-900">{label}</p>
        <p className="mt-1.5 text-sm text-slate-500">Loading credentials…</p>
      </div>
    );
  }
  if (credentials.status === "error") {
    return (
      <div>
        <p className="mb-1.5 block text-sm font-medium text-slate-900">{label}</p>
        <Alert>{credentials.message}</Alert>
      </div>
    );
  }
  const options = credentials.list.filter((c) => c.provider === provider);
  if (options.length === 0) {
    return (
      <div
        role="note"
        aria-label={`No ${label}`}
        className="rounded-md bg-amber-50 px-3 py-2.5 text-sm text-amber-800 ring-1 ring-amber-200"
      >
        <p className="font-medium">This workspace has no {label} yet.</p>
        <p className="mt-0.5">
          {kind === "aws-batch" ? "An AWS Batch" : "A Google Batch"} environment reaches the cloud with them.{" "}
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
  // A single choice is the obvious one; with several, nobody should launch on the wrong account by default.
  const initial = options.some((c) => c.id === defaultValue)
    ? defaultValue
    : options.length === 1
      ? options[0]!.id
      : "";
  const describedBy = error ? `${id}-error` : `${id}-hint`;
  return (
    <div>
      <label htmlFor={id} className="block text-sm font-medium text-slate-900">
        {label}
      </label>
      <select
        id={id}
        name="credentialId"
        defaultValue={initial}
        aria-invalid={error ? true : undefined}
        aria-describedby={describedBy}
        className={`mt-1.5 block w-full rounded-md border-0 py-2 pl-3 pr-8 text-sm text-slate-900 shadow-sm ring-1 ring-inset focus:ring-2 focus:ring-inset focus:ring-indigo-600 ${error ? "ring-red-400" : "ring-slate-300"}`}
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
      </select>
      {error ? (
        <p id={`${id}-error`} className="mt-1.5 text-sm text-red-600">
          {error}
        </p>
      ) : (
        <p id={`${id}-hint`} className="mt-1.5 text-sm text-slate-500">
          What the worker uses to{" "}
          {kind === "aws-batch"
            ? "write the run's secrets to Secrets Manager and submit the head job"
            : "write the run's secrets to Secret Manager and submit the Batch job"}
          .{" "}
          <Link href={`/w/${workspaceId}/credentials`} className="font-medium text-indigo-600 hover:text-indigo-500">
            Manage credentials
          </Link>
        </p>
      )}
    </div>
  );
}
