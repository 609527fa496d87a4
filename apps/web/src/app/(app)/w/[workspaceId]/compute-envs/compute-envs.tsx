"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { can } from "@lockstep/auth/permissions";
import type { TAppRouter } from "@lockstep/api";
import { Alert, Button, Dialog, EmptyState, Field, PageHeader, Select, Textarea } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { formErrorsOf, otherErrors } from "~/components/runs/form-errors";
import { formatSeconds, isLive, nonEmptyLines, parseKeyValueLines, plural, splitSeconds, TIME_UNITS, type TTimeUnit } from "~/components/runs/format";
import { WorkspaceFrame } from "~/components/runs/workspace-frame";
import { ConfirmDeleteDialog } from "~/components/confirm-delete-dialog";
import { useTRPC } from "~/trpc/react";

type TComputeEnv = inferRouterOutputs<TAppRouter>["computeEnvs"]["list"][number];
type TComputeEnvInput = inferRouterInputs<TAppRouter>["computeEnvs"]["create"]["computeEnv"];

/** The release installed with Lockstep (scripts resolve it from Maven Central). */
const DEFAULT_NEXTFLOW_VERSION = "24.10.8";

const KIND_LABELS: Record<TComputeEnv["kind"], string> = {
  local: "Local",
  slurm: "Slurm",
  "aws-batch": "AWS Batch",
  "google-batch": "Google Batch",
};

export function ComputeEnvs({ workspaceId }: { workspaceId: string }) {
  return <WorkspaceFrame workspaceId={workspaceId} section="compute-envs">{(w) => <ComputeEnvsPage workspaceId={w.id} manages={can(w.role, "compute-envs:manage")} />}</WorkspaceFrame>;
}

type TDialog = { kind: "create" } | { kind: "edit"; ce: TComputeEnv } | { kind: "delete"; ce: TComputeEnv } | null;

function ComputeEnvsPage({ workspaceId, manages }: { workspaceId: string; manages: boolean }) {
  const trpc = useTRPC();
  const list = useQuery(trpc.computeEnvs.list.queryOptions({ workspaceId }));
  const [dialog, setDialog] = useState<TDialog>(null);
  const [notice, setNotice] = useState<string | null>(null);

  const done = (message: string) => {
    setDialog(null);
    setNotice(message);
  };

  return (
    <>
      <PageHeader
        title="Compute environments"
        description="Where Nextflow runs. A run's secrets live in its environment only while it runs."
        actions={
          manages ? (
            <Button
              onClick={() => {
                setNotice(null);
                setDialog({ kind: "create" });
              }}
            >
              New compute environment
            </Button>
          ) : null
        }
      />
      {notice ? (
        <div className="mb-4">
          <Alert tone="green">{notice}</Alert>
        </div>
      ) : null}
      {list.isPending ? (
        <p className="text-sm text-slate-500">Loading compute environments…</p>
      ) : list.isError ? (
        <Alert>{errorMessage(list.error)}</Alert>
      ) : list.data.length === 0 ? (
        <EmptyState title="No compute environments yet">
          {manages
            ? "Add one to tell Lockstep where to run pipelines: on this machine (local) or on a Slurm cluster."
            : "Owners, admins and maintainers of this workspace add them."}
        </EmptyState>
      ) : (
        <div className="overflow-x-auto rounded-xl bg-white shadow-sm ring-1 ring-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Compute environments">
            <thead className="bg-slate-50">
              <tr>
                <Th>Name</Th>
                <Th>Kind</Th>
                <Th>Work directory</Th>
                <Th>Nextflow</Th>
                <Th>Max run time</Th>
                <Th>Environment variables</Th>
                {manages ? (
                  <th scope="col" className="px-5 py-3">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100">
              {list.data.map((ce) => (
                <tr key={ce.id} className="align-top">
                  <td className="whitespace-nowrap px-5 py-3 font-medium text-slate-900">{ce.name}</td>
                  <td className="px-5 py-3 text-slate-700">
                    {KIND_LABELS[ce.kind]}
                    <SlurmSummary ce={ce} />
                  </td>
                  <td className="px-5 py-3">
                    <code className="break-all font-mono text-xs text-slate-700">{ce.workDir}</code>
                  </td>
                  <td className="whitespace-nowrap px-5 py-3 tabular-nums text-slate-700">{ce.nextflowVersion}</td>
                  <td className="whitespace-nowrap px-5 py-3 text-slate-700">{formatSeconds(ce.maxRunSeconds)}</td>
                  <td className="px-5 py-3">
                    {ce.envNames.length === 0 ? (
                      <span className="text-slate-400">—</span>
                    ) : (
                      <ul className="flex flex-wrap gap-1" aria-label={`Environment variables of ${ce.name}`}>
                        {ce.envNames.map((n) => (
                          <li key={n}>
                            <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">{n}</code>
                          </li>
                        ))}
                      </ul>
                    )}
                  </td>
                  {manages ? (
                    <td className="whitespace-nowrap px-5 py-3 text-right">
                      <span className="inline-flex gap-2">
                        {ce.kind === "local" || ce.kind === "slurm" ? (
                          <Button
                            variant="secondary"
                            aria-label={`Edit ${ce.name}`}
                            onClick={() => {
                              setNotice(null);
                              setDialog({ kind: "edit", ce });
                            }}
                          >
                            Edit
                          </Button>
                        ) : null}
                        <Button
                          variant="secondary"
                          aria-label={`Delete ${ce.name}`}
                          onClick={() => {
                            setNotice(null);
                            setDialog({ kind: "delete", ce });
                          }}
                        >
                          Delete
                        </Button>
                      </span>
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!manages && list.data?.length ? <p className="mt-3 text-sm text-slate-500">Only owners, admins and maintainers change compute environments.</p> : null}

      {dialog?.kind === "create" ? (
        <ComputeEnvDialog workspaceId={workspaceId} onClose={() => setDialog(null)} onSaved={(ce) => done(`Created ${ce.name}.`)} />
      ) : dialog?.kind === "edit" ? (
        <ComputeEnvDialog workspaceId={workspaceId} existing={dialog.ce} onClose={() => setDialog(null)} onSaved={(ce) => done(`Saved ${ce.name}.`)} />
      ) : dialog?.kind === "delete" ? (
        <DeleteComputeEnvDialog workspaceId={workspaceId} ce={dialog.ce} onClose={() => setDialog(null)} onDeleted={() => done(`Deleted ${dialog.ce.name}.`)} />
      ) : null}
    </>
  );
}

function SlurmSummary({ ce }: { ce: TComputeEnv }) {
  if (ce.kind !== "slurm") return null;
  const partition = typeof ce.config.partition === "string" ? ce.config.partition : null;
  const options = Array.isArray(ce.config.sbatchOptions) ? ce.config.sbatchOptions.filter((o): o is string => typeof o === "string") : [];
  return (
    <span className="mt-0.5 block text-xs text-slate-500">
      {partition ? `partition ${partition}` : "default partition"}
      {options.length ? (
        <>
          {" · "}
          <code className="font-mono">{options.join(" ")}</code>
        </>
      ) : null}
    </span>
  );
}

function Th({ children }: { children: string }) {
  return (
    <th scope="col" className="whitespace-nowrap px-5 py-3 text-left text-xs font-semibold uppercase tracking-wide text-slate-500">
      {children}
    </th>
  );
}

const FORM_FIELDS = ["kind", "name", "workDir", "nextflowVersion", "maxRunSeconds", "env", "partition", "sbatchOptions"] as const;

function ComputeEnvDialog({
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
  const initialTime = splitSeconds(existing?.maxRunSeconds ?? 86_400);
  const [kind, setKind] = useState<"local" | "slurm">(existing?.kind === "slurm" ? "slurm" : "local");
  const [amount, setAmount] = useState(String(initialTime.amount));
  const [unit, setUnit] = useState<TTimeUnit>(initialTime.unit);
  const [envText, setEnvText] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saving = create.isPending || update.isPending;
  const existingEnv = existing?.envNames ?? [];
  const partition0 = existing && typeof existing.config.partition === "string" ? existing.config.partition : "";
  const sbatch0 = existing && Array.isArray(existing.config.sbatchOptions) ? existing.config.sbatchOptions.filter((o) => typeof o === "string").join("\n") : "";

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (key: string) => String(data.get(key) ?? "");
    const next: Record<string, string> = {};
    const env = parseKeyValueLines(envText);
    if (!env.ok) next.env = env.error;
    const amountNumber = Number(amount);
    if (!Number.isFinite(amountNumber) || amountNumber <= 0) next.maxRunSeconds = "Enter a positive number.";
    setErrors(next);
    if (Object.keys(next).length > 0 || !env.ok) return;

    const unitSeconds = TIME_UNITS.find((u) => u.id === unit)!.seconds;
    const base = {
      name: text("name"),
      workDir: text("workDir"),
      nextflowVersion: text("nextflowVersion").trim(),
      env: env.values,
      maxRunSeconds: Math.round(amountNumber * unitSeconds),
    };
    const computeEnv: TComputeEnvInput =
      kind === "local"
        ? { ...base, kind: "local", config: {} }
        : { ...base, kind: "slurm", config: { partition: text("partition").trim() || undefined, sbatchOptions: nonEmptyLines(text("sbatchOptions")) } };
    try {
      const saved = existing
        ? await update.mutateAsync({ workspaceId, computeEnvId: existing.id, computeEnv })
        : await create.mutateAsync({ workspaceId, computeEnv });
      await queryClient.invalidateQueries({ queryKey: trpc.computeEnvs.list.queryKey({ workspaceId }) });
      onSaved(saved);
    } catch (error) {
      setErrors(formErrorsOf(error, "computeEnv"));
    }
  }

  const unplaced = otherErrors(errors, FORM_FIELDS);

  return (
    <Dialog
      title={existing ? `Edit ${existing.name}` : "New compute environment"}
      description={existing ? undefined : "Runs launched on it get their own directory under the work directory, holding Nextflow's files and, while the run lasts, its secrets."}
      onClose={onClose}
      size="lg"
      footer={
        <>
          <Button variant="secondary" onClick={onClose}>
            Cancel
          </Button>
          <Button type="submit" form={formId} disabled={saving}>
            {saving ? "Saving…" : existing ? "Save changes" : "Create compute environment"}
          </Button>
        </>
      }
    >
      <form id={formId} onSubmit={(e) => void onSubmit(e)} noValidate className="space-y-5" aria-label={existing ? `Edit ${existing.name}` : "New compute environment"}>
        <fieldset>
          <legend className="block text-sm font-medium text-slate-900">Kind</legend>
          <div className="mt-1.5 grid gap-3 sm:grid-cols-2">
            <KindOption id={`${formId}-local`} checked={kind === "local"} onChange={() => setKind("local")} title="Local">
              Nextflow runs on the worker&apos;s machine, as its own process group.
            </KindOption>
            <KindOption id={`${formId}-slurm`} checked={kind === "slurm"} onChange={() => setKind("slurm")} title="Slurm">
              The Nextflow head job is submitted with <code className="font-mono">sbatch</code>.
            </KindOption>
          </div>
          {errors.kind ? <p className="mt-1.5 text-sm text-red-600">{errors.kind}</p> : null}
        </fieldset>
        <Field id={`${formId}-name`} name="name" label="Name" defaultValue={existing?.name} autoComplete="off" required error={errors.name} />
        <Field
          id={`${formId}-workdir`}
          name="workDir"
          label="Work directory"
          defaultValue={existing?.workDir}
          placeholder="/data/lockstep/runs"
          autoComplete="off"
          spellCheck={false}
          required
          className="[&_input]:font-mono"
          error={errors.workDir}
          hint={`An absolute path on the ${kind === "slurm" ? "cluster's shared filesystem" : "worker's machine"}. Each run gets <work directory>/<run id>.`}
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
          <div>
            <label htmlFor={`${formId}-max`} className="block text-sm font-medium text-slate-900">
              Maximum run time
            </label>
            <div className="mt-1.5 flex gap-2">
              <input
                id={`${formId}-max`}
                type="number"
                min={1}
                step="any"
                inputMode="decimal"
                value={amount}
                onChange={(e) => setAmount(e.target.value)}
                aria-invalid={errors.maxRunSeconds ? true : undefined}
                aria-describedby={`${formId}-max-help`}
                className={`block w-28 rounded-md border-0 px-3 py-2 text-sm text-slate-900 shadow-sm ring-1 ring-inset focus:ring-2 focus:ring-inset focus:ring-indigo-600 ${errors.maxRunSeconds ? "ring-red-400" : "ring-slate-300"}`}
              />
              <Select aria-label="Unit of the maximum run time" value={unit} onChange={(e) => setUnit(e.target.value as TTimeUnit)} className="py-2">
                {TIME_UNITS.map((u) => (
                  <option key={u.id} value={u.id}>
                    {u.label}
                  </option>
                ))}
              </Select>
            </div>
            <p id={`${formId}-max-help`} className={`mt-1.5 text-sm ${errors.maxRunSeconds ? "text-red-600" : "text-slate-500"}`}>
              {errors.maxRunSeconds ?? "A run still going after this is stopped and its secrets deleted."}
            </p>
          </div>
        </div>

        {kind === "slurm" ? (
          <div className="space-y-5 rounded-lg bg-slate-50 p-4 ring-1 ring-slate-200">
            <Field
              id={`${formId}-partition`}
              name="partition"
              label="Partition (optional)"
              defaultValue={partition0}
              autoComplete="off"
              spellCheck={false}
              error={errors.partition}
              hint="Leave empty for the cluster's default partition."
            />
            <Textarea
              id={`${formId}-sbatch`}
              name="sbatchOptions"
              label="Extra sbatch options (optional)"
              defaultValue={sbatch0}
              rows={3}
              spellCheck={false}
              placeholder={"--time=04:00:00\n--mem=8G"}
              textareaClassName="font-mono"
              error={errors.sbatchOptions}
              hint="One per line, as --name=value. They apply to the Nextflow head job."
            />
          </div>
        ) : null}

        <Textarea
          id={`${formId}-env`}
          label="Environment variables (optional)"
          value={envText}
          onChange={(e) => setEnvText(e.target.value)}
          rows={3}
          spellCheck={false}
          placeholder={"NXF_OPTS=-Xms1g -Xmx4g\nTMPDIR=/scratch"}
          textareaClassName="font-mono"
          error={errors.env}
          hint={
            existing && existingEnv.length > 0 ? (
              <>
                Values are not shown once saved. Saving replaces the current variables ({existingEnv.join(", ")}) with the lines here — enter them again to keep
                them.
              </>
            ) : (
              "One NAME=value per line, set for Nextflow. Not for secrets: put those in the workspace's secrets."
            )
          }
        />
        {existing && existingEnv.length > 0 && envText.trim() === "" ? (
          <Alert tone="amber">Saving with no environment variables removes {existingEnv.join(", ")}.</Alert>
        ) : null}
        {unplaced.map((m) => (
          <Alert key={m}>{m}</Alert>
        ))}
      </form>
    </Dialog>
  );
}

function KindOption({ id, checked, onChange, title, children }: { id: string; checked: boolean; onChange: () => void; title: string; children: ReactNode }) {
  return (
    <label
      htmlFor={id}
      className={`flex cursor-pointer gap-3 rounded-lg p-3 ring-1 ${checked ? "bg-indigo-50/60 ring-2 ring-indigo-600" : "bg-white ring-slate-300 hover:bg-slate-50"}`}
    >
      <input id={id} type="radio" name="kind" value={title.toLowerCase()} checked={checked} onChange={onChange} className="mt-0.5 h-4 w-4 accent-indigo-600" />
      <span className="text-sm">
        <span className="block font-medium text-slate-900">{title}</span>
        <span className="mt-0.5 block text-slate-500">{children}</span>
      </span>
    </label>
  );
}

function DeleteComputeEnvDialog({ workspaceId, ce, onClose, onDeleted }: { workspaceId: string; ce: TComputeEnv; onClose: () => void; onDeleted: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.computeEnvs.delete.mutationOptions());
  const runs = useQuery(trpc.runs.list.queryOptions({ workspaceId, limit: 200 }));
  // Deleting the environment under a live run would strand its secrets: cleanup needs it to find them.
  const active = runs.data?.filter((r) => r.computeEnvId === ce.id && isLive(r)).length ?? 0;
  return (
    <ConfirmDeleteDialog
      title={`Delete ${ce.name}`}
      confirmLabel="Delete compute environment"
      blocked={runs.isPending || active > 0}
      onClose={onClose}
      onDeleted={onDeleted}
      onConfirm={async () => {
        await remove.mutateAsync({ workspaceId, computeEnvId: ce.id });
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.computeEnvs.list.queryKey({ workspaceId }) }),
          queryClient.invalidateQueries({ queryKey: trpc.pipelines.list.queryKey({ workspaceId }) }),
        ]);
      }}
    >
      <p>
        Delete <strong className="font-semibold text-slate-900">{ce.name}</strong>? Pipelines that use it by default will have no default compute environment;
        runs launched on it keep their record. Files under <code className="break-all font-mono text-xs">{ce.workDir}</code> are not touched.
      </p>
      {active > 0 ? (
        <Alert tone="amber">
          {plural(active, "run")} on this environment {active === 1 ? "is" : "are"} still going or {active === 1 ? "has" : "have"} secrets not yet deleted. Wait
          until {active === 1 ? "it has" : "they have"} ended and {active === 1 ? "its" : "their"} secrets are gone: deleting the environment now would leave them
          behind.
        </Alert>
      ) : null}
    </ConfirmDeleteDialog>
  );
}
