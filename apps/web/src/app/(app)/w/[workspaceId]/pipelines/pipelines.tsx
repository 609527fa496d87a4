"use client";

import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import type { inferRouterOutputs } from "@trpc/server";
import Link from "next/link";
import { useId, useState, type FormEvent } from "react";
import { can } from "@lockstep/auth/permissions";
import type { TAppRouter } from "@lockstep/api";
import {
  Alert,
  Button,
  Dialog,
  EmptyState,
  Field,
  FormFooter,
  PageHeader,
  PathText,
  SelectField,
  Textarea,
} from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { formErrorsOf, otherErrors } from "~/components/runs/form-errors";
import { formatKeyValueLines, parseKeyValueLines } from "~/components/runs/format";
import { WorkspaceFrame } from "~/components/runs/workspace-frame";
import { ConfirmDeleteDialog } from "~/components/confirm-delete-dialog";
import { DataTable, RowActions } from "~/components/data-table";
import { PageNotice, usePageDialogs } from "~/components/page-dialogs";
import { LoadMore, nextPageAfter, PAGE_MAX, PAGE_SIZE, rowsOf } from "~/components/paging";
import { useTRPC } from "~/trpc/react";

type TOutputs = inferRouterOutputs<TAppRouter>;
type TPipeline = TOutputs["pipelines"]["get"];
type TComputeEnv = TOutputs["computeEnvs"]["list"][number];

export function Pipelines({ workspaceId }: { workspaceId: string }) {
  return (
    <WorkspaceFrame workspaceId={workspaceId} section="pipelines">
      {(w) => (
        <PipelinesPage
          workspaceId={w.id}
          manages={can(w.role, "pipelines:manage")}
          launches={can(w.role, "runs:launch")}
        />
      )}
    </WorkspaceFrame>
  );
}

type TDialog = { kind: "create" } | { kind: "edit"; pipeline: TPipeline } | { kind: "delete"; pipeline: TPipeline };

function PipelinesPage({
  workspaceId,
  manages,
  launches,
}: {
  workspaceId: string;
  manages: boolean;
  launches: boolean;
}) {
  const trpc = useTRPC();
  const list = useInfiniteQuery(
    trpc.pipelines.list.infiniteQueryOptions({ workspaceId, limit: PAGE_SIZE }, { getNextPageParam: nextPageAfter() }),
  );
  const rows = rowsOf(list.data);
  // Names for the "Compute environment" column: the largest page (environments are few).
  const computeEnvs = useQuery(trpc.computeEnvs.list.queryOptions({ workspaceId, limit: PAGE_MAX }));
  const { dialog, notice, open, close, done } = usePageDialogs<TDialog>();
  const ceName = new Map((computeEnvs.data ?? []).map((ce) => [ce.id, ce.name]));

  return (
    <>
      <PageHeader
        title="Pipelines"
        description="What this workspace launches: a Git repository or a local pipeline directory, with default params."
        actions={manages ? <Button onClick={() => open({ kind: "create" })}>New pipeline</Button> : null}
      />
      <PageNotice notice={notice} />
      {list.isPending ? (
        <p className="text-sm text-slate-500">Loading pipelines…</p>
      ) : list.isError ? (
        <Alert>{errorMessage(list.error)}</Alert>
      ) : rows.length === 0 ? (
        <EmptyState title="No pipelines yet">
          {manages
            ? "Add a pipeline to launch it from here."
            : "Owners, admins and maintainers of this workspace add them."}
        </EmptyState>
      ) : (
        <DataTable
          label="Pipelines"
          columns={["Name", "Repository", "Default params", "Compute environment"]}
          actions={manages || launches}
        >
          {rows.map((p) => {
            const params = Object.entries(p.defaultParams);
            return (
              <tr key={p.id} className="align-top">
                <td
                  className="min-w-[8rem] max-w-[16rem] px-5 py-3 font-medium text-slate-900 [overflow-wrap:anywhere]"
                  title={p.name}
                >
                  {p.name}
                </td>
                <td className="max-w-sm px-5 py-3">
                  <code className="font-mono text-xs text-slate-700">
                    <PathText>{p.repository}</PathText>
                  </code>
                  {p.revision ? (
                    <span className="mt-0.5 block text-xs text-slate-500">revision {p.revision}</span>
                  ) : null}
                  <span className="mt-0.5 block text-xs text-slate-600" data-testid="secret-needs">
                    {p.secretNeedsText}
                  </span>
                  {p.nextflowCheck ? (
                    <span className="mt-0.5 block text-xs text-slate-500" data-testid="nextflow-check">
                      {p.nextflowCheck.state === "pending"
                        ? "Nextflow has not checked its config yet."
                        : p.nextflowCheck.state === "failed"
                          ? `Nextflow could not check its config: ${p.nextflowCheck.reason ?? "unknown error"}`
                          : `Config checked by Nextflow ${p.nextflowCheck.version}: ${p.nextflowCheck.names.length > 0 ? p.nextflowCheck.names.join(", ") : "no secret"}.`}
                    </span>
                  ) : null}
                  {p.secretNeeds?.status === "known" && p.secretNeeds.problems.length > 0 ? (
                    <ul
                      className="mt-0.5 list-disc pl-4 text-xs text-amber-700"
                      aria-label={`What Lockstep cannot read in ${p.name}`}
                    >
                      {p.secretNeeds.problems.map((problem) => (
                        <li key={problem}>
                          <code className="font-mono">{problem}</code>
                        </li>
                      ))}
                    </ul>
                  ) : null}
                </td>
                <td className="px-5 py-3">
                  {params.length === 0 ? (
                    <span className="text-slate-400">—</span>
                  ) : (
                    <ul className="flex flex-wrap gap-1" aria-label={`Default params of ${p.name}`}>
                      {params.map(([k, v]) => (
                        <li key={k}>
                          <code className="rounded bg-slate-100 px-1.5 py-0.5 font-mono text-xs text-slate-700">
                            {k}={String(v)}
                          </code>
                        </li>
                      ))}
                    </ul>
                  )}
                </td>
                <td className="px-5 py-3 text-slate-700">
                  {p.defaultComputeEnvId ? (
                    (ceName.get(p.defaultComputeEnvId) ?? "…")
                  ) : (
                    <span className="text-slate-400">None (chosen at launch)</span>
                  )}
                </td>
                {manages || launches ? (
                  <RowActions>
                    {launches ? (
                      <Link
                        href={`/w/${workspaceId}/launch?pipelineId=${p.id}`}
                        aria-label={`Launch ${p.name}`}
                        className="inline-flex items-center rounded-md bg-indigo-600 px-3.5 py-2 text-sm font-semibold text-white shadow-sm hover:bg-indigo-500"
                      >
                        Launch
                      </Link>
                    ) : null}
                    {manages ? (
                      <>
                        <Button
                          variant="secondary"
                          aria-label={`Edit ${p.name}`}
                          onClick={() => open({ kind: "edit", pipeline: p })}
                        >
                          Edit
                        </Button>
                        <Button
                          variant="secondary"
                          aria-label={`Delete ${p.name}`}
                          onClick={() => open({ kind: "delete", pipeline: p })}
                        >
                          Delete
                        </Button>
                      </>
                    ) : null}
                  </RowActions>
                ) : null}
              </tr>
            );
          })}
        </DataTable>
      )}
      {list.isSuccess ? <LoadMore query={list} label="Load more pipelines" /> : null}
      {!manages && rows.length ? (
        <p className="mt-3 text-sm text-slate-500">Only owners, admins and maintainers change pipelines.</p>
      ) : null}

      {/* Opened once the environments are known: the form preselects the only one. */}
      {(dialog?.kind === "create" || dialog?.kind === "edit") && !computeEnvs.isPending ? (
        <PipelineDialog
          workspaceId={workspaceId}
          existing={dialog.kind === "edit" ? dialog.pipeline : undefined}
          computeEnvs={computeEnvs.data ?? []}
          onClose={close}
          onSaved={(p) => done(dialog.kind === "edit" ? `Saved ${p.name}.` : `Created ${p.name}.`)}
        />
      ) : dialog?.kind === "delete" ? (
        <DeletePipelineDialog
          workspaceId={workspaceId}
          pipeline={dialog.pipeline}
          onClose={close}
          onDeleted={() => done(`Deleted ${dialog.pipeline.name}.`)}
        />
      ) : null}
    </>
  );
}

const FORM_FIELDS = [
  "name",
  "repository",
  "revision",
  "defaultParams",
  "defaultComputeEnvId",
  "optionalSecrets",
] as const;

function PipelineDialog({
  workspaceId,
  existing,
  computeEnvs,
  onClose,
  onSaved,
}: {
  workspaceId: string;
  existing?: TPipeline;
  computeEnvs: TComputeEnv[];
  onClose: () => void;
  onSaved: (p: TPipeline) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const formId = useId();
  const create = useMutation(trpc.pipelines.create.mutationOptions());
  const update = useMutation(trpc.pipelines.update.mutationOptions());
  const [errors, setErrors] = useState<Record<string, string>>({});
  const saving = create.isPending || update.isPending;
  // A new pipeline defaults to the only compute environment there is: nearly always what is meant.
  const initialCe = existing
    ? (existing.defaultComputeEnvId ?? "")
    : computeEnvs.length === 1
      ? computeEnvs[0]!.id
      : "";

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const data = new FormData(event.currentTarget);
    const text = (key: string) => String(data.get(key) ?? "");
    const params = parseKeyValueLines(text("defaultParams"));
    if (!params.ok) {
      setErrors({ defaultParams: params.error });
      return;
    }
    setErrors({});
    const pipeline = {
      name: text("name"),
      repository: text("repository"),
      revision: text("revision").trim() || undefined,
      defaultParams: params.values,
      defaultComputeEnvId: text("defaultComputeEnvId") || null,
      optionalSecrets: text("optionalSecrets")
        .split(/[\s,]+/)
        .filter(Boolean),
    };
    try {
      const saved = existing
        ? await update.mutateAsync({ workspaceId, pipelineId: existing.id, pipeline })
        : await create.mutateAsync({ workspaceId, pipeline });
      await queryClient.invalidateQueries({ queryKey: trpc.pipelines.list.pathKey() });
      onSaved(saved);
    } catch (error) {
      setErrors(formErrorsOf(error, "pipeline"));
    }
  }

  const unplaced = otherErrors(errors, FORM_FIELDS);

  return (
    <Dialog
      title={existing ? `Edit ${existing.name}` : "New pipeline"}
      onClose={onClose}
      size="lg"
      footer={
        <FormFooter formId={formId} onCancel={onClose} saving={saving}>
          {existing ? "Save changes" : "Create pipeline"}
        </FormFooter>
      }
    >
      <form
        id={formId}
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        className="space-y-5"
        aria-label={existing ? `Edit ${existing.name}` : "New pipeline"}
      >
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
          id={`${formId}-repository`}
          name="repository"
          label="Repository"
          defaultValue={existing?.repository}
          placeholder="https://github.com/nf-core/rnaseq or /srv/pipelines/qc"
          code
          required
          error={errors.repository}
          hint="An https:// Git repository, or the absolute path of a directory holding main.nf, inside the pipeline directories this instance allows."
        />
        <Field
          id={`${formId}-revision`}
          name="revision"
          label="Revision (optional)"
          defaultValue={existing?.revision ?? ""}
          placeholder="main, 3.14.0 or a commit"
          autoComplete="off"
          spellCheck={false}
          error={errors.revision}
          hint="A branch, tag or commit of the repository. Leave empty for its default branch."
        />
        <Field
          id={`${formId}-optional-secrets`}
          name="optionalSecrets"
          label="Optional secrets (optional)"
          defaultValue={existing?.optionalSecrets.join(", ") ?? ""}
          placeholder="SLACK_WEBHOOK, TOWER_ACCESS_TOKEN"
          autoComplete="off"
          spellCheck={false}
          error={errors.optionalSecrets}
          hint="Names a run may go without: when neither the workspace nor the launcher has one, it is left out instead of refusing the launch. The sources can say the same with a comment: // lockstep: optional NAME"
        />
        <Textarea
          id={`${formId}-params`}
          name="defaultParams"
          label="Default params (optional)"
          defaultValue={existing ? formatKeyValueLines(existing.defaultParams) : ""}
          rows={4}
          code
          placeholder={"outdir=results\ngenome=GRCh38"}
          error={errors.defaultParams}
          hint="One name=value per line, passed to Nextflow as --name value. They can be changed at launch."
        />
        <SelectField
          id={`${formId}-ce`}
          name="defaultComputeEnvId"
          label="Default compute environment"
          defaultValue={initialCe}
          error={errors.defaultComputeEnvId}
          hint={
            computeEnvs.length === 0
              ? "This workspace has no compute environments yet."
              : "Preselected when the pipeline is launched."
          }
        >
          <option value="">None — choose at launch</option>
          {computeEnvs.map((ce) => (
            <option key={ce.id} value={ce.id}>
              {ce.name} ({ce.kind})
            </option>
          ))}
        </SelectField>
        {unplaced.map((m) => (
          <Alert key={m}>{m}</Alert>
        ))}
      </form>
    </Dialog>
  );
}

function DeletePipelineDialog({
  workspaceId,
  pipeline,
  onClose,
  onDeleted,
}: {
  workspaceId: string;
  pipeline: TPipeline;
  onClose: () => void;
  onDeleted: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const remove = useMutation(trpc.pipelines.delete.mutationOptions());
  return (
    <ConfirmDeleteDialog
      title={`Delete ${pipeline.name}`}
      confirmLabel="Delete pipeline"
      onClose={onClose}
      onDeleted={onDeleted}
      onConfirm={async () => {
        await remove.mutateAsync({ workspaceId, pipelineId: pipeline.id });
        await queryClient.invalidateQueries({ queryKey: trpc.pipelines.list.pathKey() });
      }}
    >
      <p>
        Delete <strong className="font-semibold text-slate-900 [overflow-wrap:anywhere]">{pipeline.name}</strong>? It
        can no longer be launched. Runs already launched keep their record, their logs and their secrets&apos;
        lifecycle.
      </p>
    </ConfirmDeleteDialog>
  );
}
