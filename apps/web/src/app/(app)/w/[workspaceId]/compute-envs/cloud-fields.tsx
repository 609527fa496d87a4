"use client";

import Link from "next/link";
import { Alert, Field, SelectField } from "@lockstep/ui";
import {
  CLOUD_PROVIDER,
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

type TConfigKey = (typeof CLOUD_FIELDS)[number];

/** One setting under `config`, shown as a text field prefilled from the environment being edited. */
type TConfigField = {
  key: Exclude<TConfigKey, "credentialId">;
  /** The field's id, after the form's. */
  id: string;
  label: string;
  placeholder?: string;
  hint: string;
  type?: "email";
  /** Shown when the environment has no value for it (the server's default). */
  fallback?: string;
};

const REGION_AWS: TConfigField = {
  key: "region",
  id: "region",
  label: "Region",
  placeholder: "eu-west-1",
  hint: "Of the job queue and of the run's secrets in Secrets Manager.",
};
const JOB_QUEUE: TConfigField = {
  key: "jobQueue",
  id: "queue",
  label: "Job queue",
  placeholder: "lockstep-head",
  hint: "Name or ARN of the Batch queue the Nextflow head job goes to.",
};
const EXECUTION_ROLE: TConfigField = {
  key: "executionRoleArn",
  id: "role",
  label: "Execution role ARN",
  placeholder: "arn:aws:iam::123456789012:role/lockstep-batch-execution",
  hint: "The role ECS uses to start the head container and read the run's secrets (secretsmanager:GetSecretValue on the prefix below).",
};
const HEAD_IMAGE_AWS: TConfigField = {
  key: "headImage",
  id: "image",
  label: "Head image",
  placeholder: `nextflow/nextflow:${DEFAULT_NEXTFLOW_VERSION}`,
  hint: "The container image the Nextflow head job runs in; it must contain Nextflow.",
};
const PREFIX_AWS: TConfigField = {
  key: "secretPrefix",
  id: "prefix",
  label: "Secret name prefix",
  fallback: DEFAULT_SECRET_PREFIX,
  hint: "Run secrets are stored as <prefix><run id>/<NAME>. The IAM policies of the credentials and the execution role are scoped to this prefix (docs/aws.md): change them together.",
};
const KMS_KEY: TConfigField = {
  key: "kmsKeyId",
  id: "kms",
  label: "KMS key (optional)",
  placeholder: "arn:aws:kms:eu-west-1:123456789012:key/…",
  hint: "Encrypts the run's secrets. Leave empty for the AWS managed key aws/secretsmanager.",
};

const PROJECT: TConfigField = {
  key: "projectId",
  id: "project",
  label: "Project ID",
  placeholder: "lockstep-pipelines",
  hint: "The project the Batch jobs run in and the run's secrets are kept in.",
};
const REGION_GOOGLE: TConfigField = {
  key: "region",
  id: "region",
  label: "Region",
  placeholder: "europe-west4",
  hint: "Where the jobs run and the run's secrets are replicated.",
};
const SERVICE_ACCOUNT: TConfigField = {
  key: "serviceAccount",
  id: "account",
  label: "Service account",
  type: "email",
  placeholder: "nextflow-batch@lockstep-pipelines.iam.gserviceaccount.com",
  hint: "The account the head job and its tasks run as (roles/secretmanager.secretAccessor on the prefix below).",
};
const HEAD_IMAGE_GOOGLE: TConfigField = {
  key: "headImage",
  id: "image",
  label: "Head image (optional)",
  placeholder: `nextflow/nextflow:${DEFAULT_NEXTFLOW_VERSION}`,
  hint: "Leave empty for nextflow/nextflow at the Nextflow version above.",
};
const MACHINE_TYPE: TConfigField = {
  key: "machineType",
  id: "machine",
  label: "Machine type (optional)",
  placeholder: "e2-standard-2",
  hint: "The Compute Engine machine type of the head job. Leave empty for the default.",
};
const PREFIX_GOOGLE: TConfigField = {
  key: "secretPrefix",
  id: "prefix",
  label: "Secret name prefix",
  fallback: DEFAULT_SECRET_PREFIX,
  hint: "Run secrets get the ids <prefix><run id>-<NAME>. The IAM conditions of both service accounts are scoped to this prefix (docs/google.md): change them together.",
};

/** Each kind's settings after its credentials, row by row: two fields in a row share it. */
const CONFIG_ROWS: Record<TCloudKind, TConfigField[][]> = {
  "aws-batch": [[REGION_AWS, JOB_QUEUE], [EXECUTION_ROLE], [HEAD_IMAGE_AWS], [PREFIX_AWS], [KMS_KEY]],
  "google-batch": [[PROJECT, REGION_GOOGLE], [SERVICE_ACCOUNT], [HEAD_IMAGE_GOOGLE, MACHINE_TYPE], [PREFIX_GOOGLE]],
};

/**
 * A cloud environment's settings, read by the form's field names (every cloud setting is text; a
 * name the kind does not have reads as absent). Null for the other kinds.
 */
function cloudConfig(ce: TComputeEnv): Partial<Record<TConfigKey, string>> | null {
  return ce.kind === "aws-batch" || ce.kind === "google-batch" ? ce.config : null;
}

/** The settings of a cloud kind: its credentials, then its `config` fields. */
export function CloudFields({
  kind,
  formId,
  workspaceId,
  existing,
  credentials,
  errors,
}: TCloudFieldsProps & { kind: TCloudKind }) {
  const config = existing?.kind === kind ? cloudConfig(existing) : null;
  const field = (f: TConfigField) => (
    <Field
      key={f.id}
      id={`${formId}-${f.id}`}
      name={f.key}
      label={f.label}
      type={f.type}
      defaultValue={config?.[f.key] || f.fallback}
      placeholder={f.placeholder}
      code
      error={errors[f.key]}
      hint={f.hint}
    />
  );
  return (
    <div className="space-y-5 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200">
      <CredentialField
        id={`${formId}-credential`}
        kind={kind}
        workspaceId={workspaceId}
        credentials={credentials}
        defaultValue={config?.credentialId ?? ""}
        error={errors.credentialId}
      />
      {CONFIG_ROWS[kind].map((row) =>
        row.length === 1 ? (
          field(row[0]!)
        ) : (
          <div key={row.map((f) => f.id).join("+")} className="grid items-start gap-5 sm:grid-cols-2">
            {row.map(field)}
          </div>
        ),
      )}
    </div>
  );
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
  return (
    <SelectField
      id={id}
      name="credentialId"
      label={label}
      defaultValue={initial}
      error={error}
      hint={
        <>
          What the worker uses to{" "}
          {kind === "aws-batch"
            ? "write the run's secrets to Secrets Manager and submit the head job"
            : "write the run's secrets to Secret Manager and submit the Batch job"}
          .{" "}
          <Link href={`/w/${workspaceId}/credentials`} className="font-medium text-indigo-600 hover:text-indigo-500">
            Manage credentials
          </Link>
        </>
      }
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
