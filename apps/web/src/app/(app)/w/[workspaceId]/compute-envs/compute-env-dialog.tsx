"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import {
  Alert,
  controlRing,
  Dialog,
  Field,
  fieldAria,
  FieldFrame,
  FormFooter,
  RadioCard,
  Select,
  Textarea,
} from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { formErrorsOf, otherErrors } from "~/components/runs/form-errors";
import { nonEmptyLines, parseKeyValueLines, splitSeconds, TIME_UNITS, type TTimeUnit } from "~/components/runs/format";
import { PAGE_MAX } from "~/components/paging";
import { useTRPC } from "~/trpc/react";
import { CLOUD_FIELDS, CloudFields, REQUIRED_CLOUD_FIELDS, type TCredentialsState } from "./cloud-fields";
import {
  CLOUD_PROVIDER,
  DEFAULT_NEXTFLOW_VERSION,
  isCloudKind,
  isSshKind,
  KIND_LABELS,
  SECRETS_REACH,
  type TComputeEnv,
  type TComputeEnvInput,
  type TKind,
} from "./kinds";
import { EnvFields } from "./env-fields";
import { REQUIRED_SSH_FIELDS, SSH_FIELDS, SshFields } from "./ssh-fields";

const FORM_FIELDS = [
  "kind",
  "name",
  "workDir",
  "nextflowVersion",
  "maxRunSeconds",
  "env",
  "keepEnv",
  "partition",
  "sbatchOptions",
  ...CLOUD_FIELDS,
  ...SSH_FIELDS,
] as const;

const overSsh = (scheduler: string) => (
  <>
    The head job is submitted with {scheduler} on a cluster's login node, over SSH, as the workspace's own cluster
    account.
  </>
);

const KIND_DESCRIPTIONS: Record<TKind, ReactNode> = {
  local: "Nextflow runs on the worker's machine, as its own process group.",
  slurm: (
    <>
      The Nextflow head job is submitted with <code className="font-mono">sbatch</code>.
    </>
  ),
  "aws-batch": "The head job runs on a Batch queue; run secrets go to Secrets Manager.",
  "google-batch": "The head job runs in a Cloud project; run secrets go to Secret Manager.",
  "ssh-slurm": overSsh("sbatch"),
  "ssh-lsf": overSsh("bsub"),
  "ssh-pbspro": overSsh("qsub"),
  "ssh-sge": overSsh("qsub"),
};

const CLUSTER_WORK_DIR = {
  placeholder: "/scratch/alice/lockstep/work",
  hint: "On the cluster's shared filesystem: Nextflow's task directories.",
};

const WORK_DIR: Record<TKind, { placeholder: string; hint: string }> = {
  local: { placeholder: "/data/lockstep/runs", hint: "An absolute path on the worker's machine." },
  slurm: { placeholder: "/data/lockstep/runs", hint: "An absolute path on the cluster's shared filesystem." },
  "aws-batch": {
    placeholder: "s3://my-bucket/lockstep/runs",
    hint: "An S3 path (s3://bucket/path) in the region below.",
  },
  "google-batch": { placeholder: "gs://my-bucket/lockstep/runs", hint: "A Cloud Storage path (gs://bucket/path)." },
  "ssh-slurm": CLUSTER_WORK_DIR,
  "ssh-lsf": CLUSTER_WORK_DIR,
  "ssh-pbspro": CLUSTER_WORK_DIR,
  "ssh-sge": CLUSTER_WORK_DIR,
};

const MAX_RUN_HINT = "A run still going after this is stopped and its secrets deleted.";

export function ComputeEnvDialog({
  workspaceId,
  existing,
  onClose,
  onSaved,
}: {
  workspaceId: string;
  existing?: TComputeEnv;
  onClose: () => void;
  onSaved: (ce: TComputeEnv) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const formId = useId();
  const create = useMutation(trpc.computeEnvs.create.mutationOptions());
  const update = useMutation(trpc.computeEnvs.update.mutationOptions());
  // Loaded with the dialog, so switching to a cloud kind shows its credentials at once.
  const credentialsQuery = useQuery(trpc.credentials.list.queryOptions({ workspaceId, limit: PAGE_MAX }));
  const initialTime = splitSeconds(existing?.maxRunSeconds ?? 86_400);
  const [kind, setKind] = useState<TKind>(existing?.kind ?? "local");
  const [amount, setAmount] = useState(String(initialTime.amount));
  const [unit, setUnit] = useState<TTimeUnit>(initialTime.unit);
  const [envText, setEnvText] = useState("");
  const savedEnv = existing?.envNames ?? [];
  // Saved variables are kept unless unticked: their values cannot be shown, so nobody could re-enter them.
  const [keepEnv, setKeepEnv] = useState<ReadonlySet<string>>(() => new Set(savedEnv));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saving = create.isPending || update.isPending;

  const credentials: TCredentialsState = credentialsQuery.isPending
    ? { status: "pending" }
    : credentialsQuery.isError
      ? { status: "error", message: errorMessage(credentialsQuery.error) }
      : { status: "ready", list: credentialsQuery.data };
  // A cloud environment cannot be saved without credentials of its cloud: the field says where to add them.
  const lacksCredentials =
    (isCloudKind(kind) &&
      (credentials.status !== "ready" || !credentials.list.some((c) => c.provider === CLOUD_PROVIDER[kind]))) ||
    (isSshKind(kind) && (credentials.status !== "ready" || !credentials.list.some((c) => c.provider === "ssh")));

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (lacksCredentials) return;
    const data = new FormData(event.currentTarget);
    const text = (key: string) => String(data.get(key) ?? "").trim();
    const optional = (key: string) => text(key) || undefined;
    const next: Record<string, string> = {};
    if (text("name") === "") next.name = "Give the compute environment a name.";
    if (text("workDir") === "") next.workDir = "Enter the work directory.";
    const env = parseKeyValueLines(envText);
    if (!env.ok) next.env = env.error;
    const amountNumber = Number(amount);
    if (!Number.isFinite(amountNumber) || amountNumber <= 0) next.maxRunSeconds = "Enter a positive number.";
    if (isCloudKind(kind)) {
      for (const [field, message] of Object.entries(REQUIRED_CLOUD_FIELDS[kind]))
        if (text(field) === "") next[field] = message;
    }
    if (isSshKind(kind)) {
      for (const [field, message] of Object.entries(REQUIRED_SSH_FIELDS)) if (text(field) === "") next[field] = message;
      if (text("nextflowMode") === "path" && text("libDir") === "")
        next.libDir = "Enter the directory holding the Nextflow jars.";
    }
    setErrors(next);
    if (Object.keys(next).length > 0 || !env.ok) return;

    const unitSeconds = TIME_UNITS.find((u) => u.id === unit)!.seconds;
    const base = {
      name: text("name"),
      workDir: text("workDir"),
      nextflowVersion: text("nextflowVersion"),
      env: env.values,
      maxRunSeconds: Math.round(amountNumber * unitSeconds),
    };
    const computeEnv: TComputeEnvInput = isSshKind(kind)
      ? {
          ...base,
          kind,
          config: {
            host: text("host"),
            port: Number(text("port") || "22"),
            credentialId: text("credentialId"),
            launchDir: text("launchDir"),
            queue: optional("queue"),
            headOptions: nonEmptyLines(String(data.get("headOptions") ?? "")),
            java: text("java") || "java",
            nextflow: text("nextflowMode") === "path" ? { mode: "path", libDir: text("libDir") } : { mode: "stage" },
          },
        }
      : kind === "local"
        ? { ...base, kind, config: {} }
        : kind === "slurm"
          ? {
              ...base,
              kind,
              config: {
                partition: optional("partition"),
                sbatchOptions: nonEmptyLines(String(data.get("sbatchOptions") ?? "")),
              },
            }
          : kind === "aws-batch"
            ? {
                ...base,
                kind,
                config: {
                  credentialId: text("credentialId"),
                  region: text("region"),
                  jobQueue: text("jobQueue"),
                  executionRoleArn: text("executionRoleArn"),
                  headImage: text("headImage"),
                  secretPrefix: optional("secretPrefix"),
                  kmsKeyId: optional("kmsKeyId"),
                },
              }
            : {
                ...base,
                kind,
                config: {
                  credentialId: text("credentialId"),
                  projectId: text("projectId"),
                  region: text("region"),
                  serviceAccount: text("serviceAccount"),
                  headImage: optional("headImage"),
                  machineType: optional("machineType"),
                  secretPrefix: optional("secretPrefix"),
                },
              };
    try {
      const saved = existing
        ? await update.mutateAsync({
            workspaceId,
            computeEnvId: existing.id,
            computeEnv,
            keepEnv: savedEnv.filter((name) => keepEnv.has(name)),
          })
        : await create.mutateAsync({ workspaceId, computeEnv });
      await queryClient.invalidateQueries({ queryKey: trpc.computeEnvs.list.pathKey() });
      onSaved(saved);
    } catch (error) {
      setErrors(formErrorsOf(error, "computeEnv"));
    }
  }

  const unplaced = otherErrors(errors, FORM_FIELDS);
  const workDir = WORK_DIR[kind];
  const cloudProps = { formId, workspaceId, existing, credentials, errors };

  return (
    <Dialog
      title={existing ? `Edit ${existing.name}` : "New compute environment"}
      description={
        existing
          ? undefined
          : "Runs launched on it get their own directory under the work directory, holding Nextflow's files and, while the run lasts, its secrets."
      }
      onClose={onClose}
      size="lg"
      footer={
        <FormFooter formId={formId} onCancel={onClose} saving={saving} disabled={lacksCredentials}>
          {existing ? "Save changes" : "Create compute environment"}
        </FormFooter>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        className="space-y-5"
        aria-label={existing ? `Edit ${existing.name}` : "New compute environment"}
        // A field's error goes once the user changes it; the rest wait for the next submit.
        onChange={(e) => {
          const field =
            e.target instanceof HTMLInputElement ||
            e.target instanceof HTMLSelectElement ||
            e.target instanceof HTMLTextAreaElement
              ? e.target.name
              : "";
          if (field && errors[field]) setErrors(({ [field]: _, ...rest }) => rest);
        }}
      >
        <fieldset>
          <legend className="block text-sm font-medium text-slate-900">Kind</legend>
          <div className="mt-1.5 grid gap-3 sm:grid-cols-2">
            {(Object.keys(KIND_LABELS) as TKind[]).map((k) => (
              <RadioCard
                key={k}
                id={`${formId}-${k}`}
                name="kind"
                value={k}
                checked={kind === k}
                onChange={() => setKind(k)}
                title={KIND_LABELS[k]}
              >
                {KIND_DESCRIPTIONS[k]}
              </RadioCard>
            ))}
          </div>
          {errors.kind ? <p className="mt-1.5 text-sm text-red-600">{errors.kind}</p> : null}
          <p className="mt-1.5 text-sm text-slate-500" data-testid="secrets-reach">
            {SECRETS_REACH[kind]}
          </p>
        </fieldset>
        <Field
          id={`${formId}-name`}
          name="name"
          label="Name"
          defaultValue={existing?.name}
          autoComplete="off"
          required
          error={errors.name}
        />
        <Field
          // Remounted per kind: a local path is no use as a bucket, and the other way round.
          key={`workdir-${isCloudKind(kind) ? kind : isSshKind(kind) ? "cluster" : "path"}`}
          id={`${formId}-workdir`}
          name="workDir"
          label="Work directory"
          defaultValue={
            existing &&
            (existing.kind === kind ||
              (!isCloudKind(kind) && !isCloudKind(existing.kind) && isSshKind(kind) === isSshKind(existing.kind)))
              ? existing.workDir
              : undefined
          }
          placeholder={workDir.placeholder}
          code
          required
          error={errors.workDir}
          hint={`${workDir.hint} Each run gets <work directory>/<run id>.`}
        />
        <div className="grid items-start gap-5 sm:grid-cols-2">
          <Field
            id={`${formId}-nextflow`}
            name="nextflowVersion"
            label="Nextflow version"
            defaultValue={existing?.nextflowVersion ?? DEFAULT_NEXTFLOW_VERSION}
            autoComplete="off"
            spellCheck={false}
            required
            error={errors.nextflowVersion}
            hint={`${DEFAULT_NEXTFLOW_VERSION} is the release installed with Lockstep.`}
          />
          <FieldFrame id={`${formId}-max`} label="Maximum run time" error={errors.maxRunSeconds} hint={MAX_RUN_HINT}>
            <div className="mt-1.5 flex gap-2">
              <input
                id={`${formId}-max`}
                type="number"
                min={1}
                step="any"
                inputMode="decimal"
                value={amount}
                onChange={(e) => {
                  setAmount(e.target.value);
                  setErrors(({ maxRunSeconds: _, ...rest }) => rest);
                }}
                {...fieldAria({ id: `${formId}-max`, error: errors.maxRunSeconds, hint: MAX_RUN_HINT })}
                className={`block w-28 rounded-md border-0 px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset focus:ring-2 focus:ring-inset focus:ring-indigo-600 ${controlRing(errors.maxRunSeconds)}`}
              />
              <Select
                aria-label="Unit of the maximum run time"
                value={unit}
                onChange={(e) => setUnit(e.target.value as TTimeUnit)}
                className="py-2"
              >
                {TIME_UNITS.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.label}
                  </option>
                ))}
              </Select>
            </div>
          </FieldFrame>
        </div>

        {kind === "slurm" ? (
          <div className="space-y-5 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200">
            <Field
              id={`${formId}-partition`}
              name="partition"
              label="Partition (optional)"
              defaultValue={existing?.kind === "slurm" ? (existing.config.partition ?? "") : ""}
              autoComplete="off"
              spellCheck={false}
              error={errors.partition}
              hint="Leave empty for the cluster's default partition."
            />
            <Textarea
              id={`${formId}-sbatch`}
              name="sbatchOptions"
              label="Extra sbatch options (optional)"
              defaultValue={existing?.kind === "slurm" ? existing.config.sbatchOptions.join("\n") : ""}
              rows={3}
              code
              placeholder={"--time=04:00:00\n--mem=8G"}
              error={errors.sbatchOptions}
              hint="One per line, as --name=value. They apply to the Nextflow head job: resources and accounting only (--time, --mem, --cpus-per-task, --account, --qos, --gres…)."
            />
          </div>
        ) : isCloudKind(kind) ? (
          <CloudFields key={kind} kind={kind} {...cloudProps} />
        ) : isSshKind(kind) ? (
          <SshFields key={kind} kind={kind} {...cloudProps} />
        ) : null}

        <EnvFields
          formId={formId}
          saved={savedEnv}
          keep={keepEnv}
          onKeepChange={(name, kept) => {
            setKeepEnv((prev) => {
              const next = new Set(prev);
              if (kept) next.add(name);
              else next.delete(name);
              return next;
            });
            setErrors(({ keepEnv: _, ...rest }) => rest);
          }}
          text={envText}
          onTextChange={setEnvText}
          placeholder={isCloudKind(kind) ? "NXF_OPTS=-Xms1g -Xmx4g" : "NXF_OPTS=-Xms1g -Xmx4g\nTMPDIR=/scratch"}
          errors={{ env: errors.env, keepEnv: errors.keepEnv }}
        />
        {unplaced.map((m) => (
          <Alert key={m}>{m}</Alert>
        ))}
      </form>
    </Dialog>
  );
}
