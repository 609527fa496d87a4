"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useId, useState, type FormEvent, type ReactNode } from "react";
import { can } from "@lockstep/auth/permissions";
import { Alert, Button, Card, EmptyState, PageHeader, PathText, Select, Textarea } from "@lockstep/ui";
import { errorMessage } from "~/components/errors";
import { formErrorsOf, otherErrors } from "~/components/runs/form-errors";
import { formatKeyValueLines, formatSeconds, parseKeyValueLines, plural } from "~/components/runs/format";
import { RelaunchWarning } from "~/components/runs/secret-versions";
import { PersonalNoSecretsNote, WorkspaceFrame, type TWorkspace } from "~/components/runs/workspace-frame";
import { PAGE_MAX } from "~/components/paging";
import { useTRPC } from "~/trpc/react";
import { SECRETS_REACH } from "../compute-envs/kinds";

type TMode = "needed" | "all" | "selected" | "none";

export function LaunchForm({
  workspaceId,
  initialPipelineId,
  relaunchOf,
}: {
  workspaceId: string;
  initialPipelineId?: string;
  relaunchOf?: string;
}) {
  return (
    <WorkspaceFrame workspaceId={workspaceId} section="launch">
      {(w) =>
        can(w.role, "runs:launch") ? (
          <Launch workspace={w} initialPipelineId={initialPipelineId} relaunchOf={relaunchOf} />
        ) : (
          <EmptyState title="Your role cannot launch runs">
            As <strong className="font-semibold text-slate-700">{w.role}</strong> you can follow the workspace&apos;s{" "}
            <Link href={`/w/${w.id}/runs`} className="font-medium text-indigo-600 hover:text-indigo-500">
              runs
            </Link>
            . Owners, admins, maintainers and launch users start them.
          </EmptyState>
        )
      }
    </WorkspaceFrame>
  );
}

const FORM_FIELDS = ["pipelineId", "computeEnvId", "params", "secrets"] as const;

function Launch({
  workspace,
  initialPipelineId: pipelineParam,
  relaunchOf,
}: {
  workspace: TWorkspace;
  initialPipelineId?: string;
  relaunchOf?: string;
}) {
  const workspaceId = workspace.id;
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const formId = useId();
  // Pickers over short lists: the largest page. Secrets come by name only from effectiveSecrets.
  const pipelines = useQuery(trpc.pipelines.list.queryOptions({ workspaceId, limit: PAGE_MAX }));
  const computeEnvs = useQuery(trpc.computeEnvs.list.queryOptions({ workspaceId, limit: PAGE_MAX }));
  const launch = useMutation(trpc.runs.launch.mutationOptions());
  // A relaunch starts from the original run's pipeline, compute environment and params.
  const original = useQuery(
    trpc.runs.get.queryOptions(
      { workspaceId, runId: relaunchOf ?? "" },
      { enabled: relaunchOf !== undefined, retry: false },
    ),
  );
  const from = original.data;
  const initialPipelineId = pipelineParam ?? from?.pipelineId ?? undefined;

  // Choices the user made; until then each follows the selected pipeline's defaults.
  const [chosenPipelineId, setChosenPipelineId] = useState<string | null>(null);
  const [chosenCeId, setChosenCeId] = useState<string | null>(null);
  const [paramsText, setParamsText] = useState<string | null>(null);
  const [chosenMode, setMode] = useState<TMode | null>(null);
  // Ticks the user changed under "Only these"; the rest follow the pipeline's needs (or all, when unknown).
  const [toggled, setToggled] = useState<ReadonlyMap<string, boolean>>(new Map());
  const [errors, setErrors] = useState<Record<string, string>>({});

  const pipelineForNeeds =
    pipelines.data?.find((p) => p.id === chosenPipelineId) ??
    pipelines.data?.find((p) => p.id === initialPipelineId) ??
    pipelines.data?.[0];
  // Scanned again for the chosen pipeline, as the launch will.
  const effective = useQuery(
    trpc.runs.effectiveSecrets.queryOptions(
      { workspaceId, pipelineId: pipelineForNeeds?.id },
      { enabled: pipelineForNeeds !== undefined },
    ),
  );

  if (pipelines.isPending || computeEnvs.isPending) return <p className="text-sm text-slate-500">Loading pipelines…</p>;
  if (pipelines.isError) return <Alert>{errorMessage(pipelines.error)}</Alert>;
  if (computeEnvs.isError) return <Alert>{errorMessage(computeEnvs.error)}</Alert>;

  const pipelineList = pipelines.data;
  const ceList = computeEnvs.data;
  const manages = can(workspace.role, "pipelines:manage");
  if (pipelineList.length === 0) {
    return (
      <>
        <PageHeader title="Launch a run" />
        {workspace.personal ? (
          <div className="mb-6">
            <PersonalNoSecretsNote />
          </div>
        ) : null}
        <EmptyState title="No pipelines to launch">
          {manages ? (
            <>
              <Link href={`/w/${workspaceId}/pipelines`} className="font-medium text-indigo-600 hover:text-indigo-500">
                Add a pipeline
              </Link>{" "}
              first.
            </>
          ) : (
            "Owners, admins and maintainers of this workspace add pipelines."
          )}
        </EmptyState>
      </>
    );
  }

  const pipeline =
    pipelineList.find((p) => p.id === chosenPipelineId) ??
    pipelineList.find((p) => p.id === initialPipelineId) ??
    pipelineList[0]!;
  const relaunching = from !== undefined && from.pipelineId === pipeline.id;
  const fromCe = relaunching && ceList.some((c) => c.id === from.computeEnvId) ? from.computeEnvId : null;
  const ceId = chosenCeId ?? fromCe ?? pipeline.defaultComputeEnvId ?? (ceList.length === 1 ? ceList[0]!.id : "");
  const ce = ceList.find((c) => c.id === ceId);
  const params = paramsText ?? formatKeyValueLines(relaunching ? from.params : pipeline.defaultParams);
  const available = effective.data?.secrets ?? [];
  const needs = effective.data?.needs ?? null;
  const needsKnown = needs?.known === true;
  const mode: TMode = chosenMode ?? (needsKnown ? "needed" : "all");
  const personal = workspace.personal || effective.data?.personal === true;
  const needed = new Set((needs?.items ?? []).map((i) => i.name));
  const isTicked = (name: string) => toggled.get(name) ?? (needsKnown ? needed.has(name) : true);
  const missingRequired = (needs?.items ?? []).filter((i) => i.source === "missing" && !i.optional).map((i) => i.name);
  const sent: TAvailable[] =
    personal || mode === "none"
      ? []
      : mode === "all"
        ? available
        : mode === "needed"
          ? (needs?.items ?? []).flatMap((i) => (i.source === "missing" ? [] : [{ name: i.name, source: i.source }]))
          : available.filter((s) => isTicked(s.name));
  const overrides = new Set(effective.data?.overridden ?? []);

  function pickPipeline(id: string) {
    setChosenPipelineId(id);
    setChosenCeId(null);
    setParamsText(null);
    setMode(null);
    setToggled(new Map());
    setErrors({});
  }

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const parsed = parseKeyValueLines(params);
    const next: Record<string, string> = {};
    if (!parsed.ok) next.params = parsed.error;
    if (!ceId) next.computeEnvId = "Choose a compute environment.";
    if (!personal && mode === "selected" && sent.length === 0)
      next.secrets = 'Tick at least one secret, or choose "None".';
    if (!personal && mode === "needed" && missingRequired.length > 0)
      next.secrets = `Add ${missingRequired.join(", ")} first, or choose "Only these" or "All".`;
    setErrors(next);
    if (Object.keys(next).length > 0 || !parsed.ok) return;
    try {
      const run = await launch.mutateAsync({
        workspaceId,
        pipelineId: pipeline.id,
        computeEnvId: ceId,
        params: parsed.values,
        secrets: mode === "selected" ? { mode, names: sent.map((s) => s.name) } : { mode },
      });
      queryClient.setQueryData(trpc.runs.get.queryKey({ workspaceId, runId: run.id }), run);
      await queryClient.invalidateQueries({ queryKey: trpc.runs.list.pathKey() });
      router.push(`/w/${workspaceId}/runs/${run.id}`);
    } catch (error) {
      setErrors(formErrorsOf(error));
    }
  }

  const unplaced = otherErrors(errors, FORM_FIELDS);

  return (
    <>
      <PageHeader
        title="Launch a run"
        description="Start a pipeline on a compute environment. You follow it on the run's page."
      />
      {relaunchOf ? (
        <div className="mb-6">
          <RelaunchWarning workspaceId={workspaceId} runId={relaunchOf} />
        </div>
      ) : null}
      {personal ? (
        <div className="mb-6">
          <PersonalNoSecretsNote />
        </div>
      ) : null}
      <form
        id={formId}
        onSubmit={(e) => void onSubmit(e)}
        noValidate
        aria-label="Launch a run"
        className="grid items-start gap-6 lg:grid-cols-5"
      >
        <Card className="space-y-5 p-6 lg:col-span-3">
          <h2 className="text-base font-semibold text-slate-900">What to run</h2>
          <div>
            <label htmlFor={`${formId}-pipeline`} className="block text-sm font-medium text-slate-900">
              Pipeline
            </label>
            <Select
              id={`${formId}-pipeline`}
              value={pipeline.id}
              onChange={(e) => pickPipeline(e.target.value)}
              className="mt-1.5 w-full py-2"
            >
              {pipelineList.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name}
                </option>
              ))}
            </Select>
            <p className="mt-1.5 break-all text-sm text-slate-500">
              <code className="font-mono text-xs text-slate-600">
                <PathText>{pipeline.repository}</PathText>
              </code>
              {pipeline.revision ? <span> · revision {pipeline.revision}</span> : null}
            </p>
          </div>

          <div>
            <label htmlFor={`${formId}-ce`} className="block text-sm font-medium text-slate-900">
              Compute environment
            </label>
            <Select
              id={`${formId}-ce`}
              value={ceId}
              onChange={(e) => setChosenCeId(e.target.value)}
              aria-invalid={errors.computeEnvId ? true : undefined}
              aria-describedby={`${formId}-ce-help`}
              className={`mt-1.5 w-full py-2 ${errors.computeEnvId ? "ring-red-400" : ""}`}
            >
              {ceId === "" ? <option value="">Choose…</option> : null}
              {ceList.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name} ({c.kind}){c.id === pipeline.defaultComputeEnvId ? " — pipeline default" : ""}
                </option>
              ))}
            </Select>
            <p
              id={`${formId}-ce-help`}
              className={`mt-1.5 text-sm ${errors.computeEnvId ? "text-red-600" : "text-slate-500"}`}
            >
              {errors.computeEnvId ??
                (ce ? (
                  <>
                    Nextflow {ce.nextflowVersion} in <code className="break-all font-mono text-xs">{ce.workDir}</code>;
                    stopped after {formatSeconds(ce.maxRunSeconds)}.{" "}
                    <span data-testid="secrets-reach">{SECRETS_REACH[ce.kind]}</span>
                  </>
                ) : ceList.length === 0 ? (
                  <>
                    This workspace has no compute environments yet.
                    {can(workspace.role, "compute-envs:manage") ? (
                      <>
                        {" "}
                        <Link
                          href={`/w/${workspaceId}/compute-envs`}
                          className="font-medium text-indigo-600 hover:text-indigo-500"
                        >
                          Add one
                        </Link>
                        .
                      </>
                    ) : null}
                  </>
                ) : (
                  "The pipeline has no default: choose one."
                ))}
            </p>
          </div>

          <Textarea
            id={`${formId}-params`}
            label="Params"
            value={params}
            onChange={(e) => {
              setParamsText(e.target.value);
              // An error about what was there goes with it; the next launch checks again.
              if (errors.params) setErrors(({ params: _gone, ...rest }) => rest);
            }}
            rows={Math.min(10, Math.max(3, params.split("\n").length + 1))}
            spellCheck={false}
            placeholder="name=value"
            textareaClassName="font-mono"
            error={errors.params}
            hint="One name=value per line, passed as --name value. Prefilled from the pipeline's defaults; a default you delete here still applies."
          />
        </Card>

        <div className="space-y-6 lg:col-span-2">
          <Card className="p-6">
            <h2 className="text-base font-semibold text-slate-900">Secrets</h2>
            {personal ? (
              <p className="mt-3 rounded-lg bg-slate-50 px-4 py-3 text-sm text-slate-600 ring-1 ring-slate-200">
                None: this is your personal workspace, so the run gets neither workspace secrets nor yours.
              </p>
            ) : (
              <SecretsChoice
                workspaceId={workspaceId}
                needs={needs}
                mode={mode}
                onMode={(m) => {
                  setMode(m);
                  setErrors((prev) => ({ ...prev, secrets: "" }));
                }}
                loading={effective.isPending}
                loadError={effective.isError ? errorMessage(effective.error) : null}
                available={available}
                isTicked={isTicked}
                onToggle={(name, on) => setToggled((prev) => new Map(prev).set(name, on))}
                sourceText={(s) =>
                  s.source === "workspace"
                    ? "workspace"
                    : overrides.has(s.name)
                      ? "your secret — overrides the workspace secret of the same name"
                      : "your secret"
                }
                missingRequired={missingRequired}
                error={errors.secrets || undefined}
                sentCount={sent.length}
              />
            )}
          </Card>

          <div className="space-y-3">
            {unplaced.filter(Boolean).map((m) => (
              <Alert key={m}>{m}</Alert>
            ))}
            <Button
              type="submit"
              className="w-full py-2.5"
              disabled={
                launch.isPending ||
                ceList.length === 0 ||
                (!personal && mode === "needed" && missingRequired.length > 0)
              }
            >
              {launch.isPending ? "Launching…" : "Launch run"}
            </Button>
            <p className="text-center text-xs text-slate-500">
              {personal || sent.length === 0
                ? "The run gets no secrets."
                : `${plural(sent.length, "secret")} will be written to the compute environment for this run and deleted when it ends.`}
            </p>
          </div>
        </div>
      </form>
    </>
  );
}

type TAvailable = { name: string; source: "workspace" | "user" };
type TNeeds = {
  known: boolean;
  description: string;
  reason: string | null;
  problems: string[];
  items: Array<{
    name: string;
    uses: Array<"process" | "config" | "script">;
    optional: boolean;
    source: "workspace" | "user" | "missing";
  }>;
};

function SecretsChoice({
  workspaceId,
  needs,
  missingRequired,
  mode,
  onMode,
  loading,
  loadError,
  available,
  isTicked,
  onToggle,
  sourceText,
  error,
  sentCount,
}: {
  workspaceId: string;
  needs: TNeeds | null;
  missingRequired: string[];
  mode: TMode;
  onMode: (mode: TMode) => void;
  loading: boolean;
  loadError: string | null;
  available: TAvailable[];
  isTicked: (name: string) => boolean;
  onToggle: (name: string, on: boolean) => void;
  sourceText: (s: TAvailable) => string;
  error?: string;
  sentCount: number;
}) {
  const groupId = useId();
  const options: { id: TMode; label: string; hint: ReactNode }[] = [
    ...(needs?.known
      ? [
          {
            id: "needed" as const,
            label: "What it needs",
            hint: `Exactly what the pipeline's sources ask for: ${needs.description}.`,
          },
        ]
      : []),
    {
      id: "selected",
      label: "Only these",
      hint: needs?.known
        ? "Ticked: what the pipeline needs. Change the ticks to send other secrets."
        : "Tick the ones the pipeline needs.",
    },
    {
      id: "all",
      label: "All",
      hint: needs?.known
        ? `Every workspace secret, and yours only where the pipeline needs that name (${available.length}).`
        : `Every secret below (${available.length}).`,
    },
    { id: "none", label: "None", hint: "Processes that declare a secret will fail." },
  ];
  return (
    <div className="mt-4 space-y-4">
      <fieldset>
        <legend className="sr-only">Which secrets the run gets</legend>
        <div
          className={`grid ${options.length === 4 ? "grid-cols-4" : "grid-cols-3"} gap-1 rounded-lg bg-slate-100 p-1`}
        >
          {options.map((o) => (
            <label
              key={o.id}
              htmlFor={`${groupId}-${o.id}`}
              className={`relative cursor-pointer rounded-md px-2 py-1.5 text-center text-sm font-medium has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-indigo-600 ${mode === o.id ? "bg-white text-slate-900 shadow-sm ring-1 ring-slate-200" : "text-slate-600 hover:text-slate-900"}`}
            >
              {/* A real radio over the whole segment (invisible), so pointer, keyboard and assistive tech all use it. */}
              <input
                id={`${groupId}-${o.id}`}
                type="radio"
                name="secrets-mode"
                value={o.id}
                checked={mode === o.id}
                onChange={() => onMode(o.id)}
                className="absolute inset-0 h-full w-full cursor-pointer appearance-none rounded-md opacity-0"
              />
              {o.label}
            </label>
          ))}
        </div>
        <p className="mt-2 text-sm text-slate-500">{options.find((o) => o.id === mode)!.hint}</p>
      </fieldset>

      {needs && !needs.known ? (
        <p className="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-800 ring-1 ring-amber-200">
          What this pipeline needs is unknown until launch: {needs.reason}. Choose the secrets it needs (&quot;Only
          these&quot;), or send all.
        </p>
      ) : null}
      {needs?.known && needs.problems.length > 0 ? (
        <div className="rounded-lg bg-amber-50 px-4 py-3 text-sm text-amber-800 ring-1 ring-amber-200">
          The sources also ask for secrets Lockstep cannot name before the run:
          <ul className="mt-1 list-disc pl-5">
            {needs.problems.map((p) => (
              <li key={p}>
                <code className="font-mono text-xs">{p}</code>
              </li>
            ))}
          </ul>
        </div>
      ) : null}
      {loading ? (
        <p className="text-sm text-slate-500">Loading secrets…</p>
      ) : loadError ? (
        <Alert>{loadError}</Alert>
      ) : mode === "needed" && needs?.known ? (
        <NeededTable
          workspaceId={workspaceId}
          needs={needs}
          missingRequired={missingRequired}
          sourceText={sourceText}
        />
      ) : loadError ? (
        <Alert>{loadError}</Alert>
      ) : available.length === 0 ? (
        <p className="rounded-lg bg-slate-50 px-4 py-3 text-sm text-slate-600 ring-1 ring-slate-200">
          Neither this workspace nor you have secrets, so the run gets none.
        </p>
      ) : mode === "none" ? (
        <p className="rounded-lg bg-slate-50 px-4 py-3 text-sm text-slate-600 ring-1 ring-slate-200">
          The run gets no secrets.
        </p>
      ) : (
        <div className="overflow-hidden rounded-lg ring-1 ring-slate-200">
          <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Secrets this run gets">
            <thead className="bg-slate-50">
              <tr>
                {mode === "selected" ? (
                  <th scope="col" className="w-8 py-2 pl-3">
                    <span className="sr-only">Send</span>
                  </th>
                ) : null}
                <th
                  scope="col"
                  className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                >
                  Name
                </th>
                <th
                  scope="col"
                  className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
                >
                  Comes from
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-slate-100 bg-white">
              {available.map((s) => {
                const on = mode !== "selected" || isTicked(s.name);
                return (
                  <tr key={s.name} className={on ? "" : "text-slate-400"}>
                    {mode === "selected" ? (
                      <td className="py-2 pl-3 align-top">
                        <input
                          type="checkbox"
                          checked={on}
                          onChange={(e) => onToggle(s.name, e.target.checked)}
                          aria-label={`Send ${s.name}`}
                          className="mt-0.5 h-4 w-4 rounded border-slate-300 accent-indigo-600"
                        />
                      </td>
                    ) : null}
                    <td className="px-3 py-2 align-top">
                      <code
                        className={`font-mono text-xs font-medium ${on ? "text-slate-900" : "text-slate-400 line-through"}`}
                      >
                        {s.name}
                      </code>
                    </td>
                    <td className={`px-3 py-2 align-top ${on ? "text-slate-600" : ""}`}>
                      <SourceText text={sourceText(s)} />
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {error ? (
        <p role="alert" className="text-sm text-red-600">
          {error}
        </p>
      ) : null}
      {!loading && available.length > 0 && mode !== "none" && mode !== "needed" ? (
        <p className="text-xs text-slate-500">
          {mode === "selected" ? `${sentCount} of ${available.length} selected. ` : null}
          Names only — values are never shown. A secret of yours replaces the workspace&apos;s secret of the same name
          in runs you launch.
        </p>
      ) : null}
    </div>
  );
}

/** "your secret — overrides …": the source stands out, the explanation reads as one. */
function SourceText({ text }: { text: string }) {
  const [source, ...rest] = text.split(" — ");
  if (rest.length === 0) return <>{text}</>;
  return (
    <>
      <span className="font-medium text-indigo-700">{source}</span>
      <span className="text-slate-500"> — {rest.join(" — ")}</span>
    </>
  );
}

const USE_TEXT = { process: "process directive", config: "config", script: "script" } as const;

/** "What it needs": every name the sources ask for, where the value would come from, and what is missing (with where to add it). */
function NeededTable({
  workspaceId,
  needs,
  missingRequired,
  sourceText,
}: {
  workspaceId: string;
  needs: TNeeds;
  missingRequired: string[];
  sourceText: (s: TAvailable) => string;
}) {
  if (needs.items.length === 0) {
    return (
      <p className="rounded-lg bg-slate-50 px-4 py-3 text-sm text-slate-600 ring-1 ring-slate-200">
        The pipeline asks for no secrets, so the run gets none.
      </p>
    );
  }
  return (
    <div className="space-y-3">
      {missingRequired.length > 0 ? (
        <div role="alert" className="rounded-lg bg-red-50 px-4 py-3 text-sm text-red-700 ring-1 ring-red-200">
          Missing: {missingRequired.join(", ")}. Add {missingRequired.length === 1 ? "it" : "them"} to the{" "}
          <Link href={`/w/${workspaceId}?tab=secrets`} className="font-medium underline">
            workspace&apos;s secrets
          </Link>{" "}
          or to{" "}
          <Link href="/settings/secrets" className="font-medium underline">
            your secrets
          </Link>{" "}
          before launching.
        </div>
      ) : null}
      <div className="overflow-hidden rounded-lg ring-1 ring-slate-200">
        <table className="min-w-full divide-y divide-slate-200 text-sm" aria-label="Secrets the pipeline needs">
          <thead className="bg-slate-50">
            <tr>
              <th
                scope="col"
                className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
              >
                Name
              </th>
              <th
                scope="col"
                className="px-3 py-2 text-left text-xs font-semibold uppercase tracking-wide text-slate-500"
              >
                Comes from
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100 bg-white">
            {needs.items.map((i) => (
              <tr key={i.name}>
                <td className="px-3 py-2 align-top">
                  <code className="font-mono text-xs font-medium text-slate-900">{i.name}</code>
                  <div className="text-xs text-slate-500">
                    {i.uses.map((u) => USE_TEXT[u]).join(", ")}
                    {i.optional ? " · optional" : ""}
                  </div>
                </td>
                <td className="px-3 py-2 align-top text-slate-600">
                  {i.source === "missing" ? (
                    i.optional ? (
                      <span className="text-slate-500">no value — left out (optional)</span>
                    ) : (
                      <span className="font-medium text-red-700">missing</span>
                    )
                  ) : (
                    <SourceText text={sourceText({ name: i.name, source: i.source })} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="text-xs text-slate-500">
        Names only — values are never shown. Your personal secrets reach the run only for names listed here.
      </p>
    </div>
  );
}
