"use client";

import { can, permissions, type TPermission, type TWorkspaceRole } from "@lockstep/auth/permissions";
import { Card } from "@lockstep/ui";
import { WorkspaceFrame, workspaceSections } from "~/components/runs/workspace-frame";
import { WorkspaceGate, type TWorkspace } from "~/components/workspace-gate";
import { ActivityTab } from "./activity-tab";
import { ParticipantsTab } from "./participants-tab";
import { SecretsTab } from "./secrets-tab";
import { SettingsTab } from "./settings-tab";

export type TTab = "overview" | "secrets" | "participants" | "activity" | "settings";

const PERMISSION_LABELS: Record<TPermission, string> = {
  "workspace:view": "See the workspace and its participants",
  "secrets:list": "List secret names and dates (never values)",
  "secrets:write": "Create, overwrite and delete workspace secrets",
  "runs:launch": "Launch runs with the workspace's secrets",
  "runs:cancel-own": "Cancel your own runs",
  "runs:cancel-any": "Cancel anyone's runs",
  "pipelines:manage": "Manage pipelines",
  "compute-envs:manage": "Manage compute environments",
  "participants:manage": "Add, remove and change participants",
  "workspace:settings": "Change settings and read the audit log",
  "audit:read": "Read the audit log",
  "workspace:delete": "Delete the workspace",
};

// "audit:read" always travels with "workspace:settings" (same roles), so one line says both.
const SHOWN = permissions.filter((p) => p !== "audit:read");

const ROLE_SUMMARY: Record<TWorkspaceRole, string> = {
  owner: "Owners have full control of the workspace, including deleting it.",
  admin: "Admins run the workspace: secrets, runs, participants and settings.",
  maintainer: "Maintainers manage secrets, pipelines and compute environments, and launch runs.",
  launch: "Launch users start runs with the workspace's secrets but cannot change them.",
  connect: "Connect users see the workspace and its secret names, but cannot launch runs.",
  view: "Viewers see the workspace and its secret names, read-only.",
};

export function WorkspaceView({ workspaceId, tab }: { workspaceId: string; tab: TTab }) {
  return (
    <WorkspaceGate workspaceId={workspaceId}>
      {(w) => {
        const active = visibleTab(w, tab);
        return (
          <WorkspaceFrame workspaceId={w.id} section={active}>
            {() => <TabBody w={w} active={active} />}
          </WorkspaceFrame>
        );
      }}
    </WorkspaceGate>
  );
}

// A tab the caller may not see falls back to the overview rather than an empty page.
function visibleTab(w: TWorkspace, tab: TTab): TTab {
  return workspaceSections(w).some((s) => s.id === tab) ? tab : "overview";
}

function TabBody({ w, active }: { w: TWorkspace; active: TTab }) {
  return active === "overview" ? (
    <Overview description={w.description} role={w.role} personal={w.personal} />
  ) : active === "secrets" ? (
    <SecretsTab workspaceId={w.id} role={w.role} personal={w.personal} />
  ) : active === "participants" ? (
    <ParticipantsTab workspaceId={w.id} role={w.role} />
  ) : active === "activity" ? (
    <ActivityTab workspaceId={w.id} />
  ) : (
    <SettingsTab workspace={w} />
  );
}

function Overview({ description, role, personal }: { description: string; role: TWorkspaceRole; personal: boolean }) {
  return (
    <div className="space-y-6">
      {personal ? <NoSecretsNote /> : null}
      <div className="grid grid-cols-1 items-start gap-6 lg:grid-cols-2">
        <Card>
          <h2 className="text-base font-semibold text-slate-900">About</h2>
          <p className={`mt-2 whitespace-pre-line text-sm ${description ? "text-slate-700" : "text-slate-500"}`}>
            {description || "No description yet."}
          </p>
        </Card>
        <Card>
          <h2 className="text-base font-semibold text-slate-900">
            Your role: <span className="text-indigo-600">{role}</span>
          </h2>
          {personal ? (
            <p className="mt-2 text-sm text-slate-600">
              This is your own workspace: only you can see it, and you can do everything in it except use secrets.
            </p>
          ) : (
            <>
              <p className="mt-2 text-sm text-slate-600">{ROLE_SUMMARY[role]}</p>
              <ul className="mt-4 space-y-2" aria-label="What your role allows">
                {SHOWN.map((p) => {
                  const allowed = can(role, p);
                  return (
                    <li
                      key={p}
                      className={`flex items-start gap-2 text-sm ${allowed ? "text-slate-800" : "text-slate-400"}`}
                    >
                      <span
                        aria-hidden="true"
                        className={`mt-0.5 w-4 shrink-0 text-center ${allowed ? "text-green-600" : "text-slate-300"}`}
                      >
                        {allowed ? "✓" : "–"}
                      </span>
                      <span>
                        <span className="sr-only">{allowed ? "Allowed: " : "Not allowed: "}</span>
                        {PERMISSION_LABELS[p]}
                      </span>
                    </li>
                  );
                })}
              </ul>
            </>
          )}
        </Card>
      </div>
    </div>
  );
}

function NoSecretsNote() {
  return (
    <div role="note" className="rounded-xl bg-amber-50 px-5 py-4 text-sm text-amber-900 ring-1 ring-amber-200">
      <p className="font-semibold">Runs launched from a personal workspace get no secrets.</p>
      <p className="mt-1">
        As in Seqera Platform, pipeline secrets — workspace secrets and your own user secrets — are delivered only to
        runs launched from an organization workspace. A personal workspace has no other participants. To run a pipeline
        that needs secrets, launch it from a workspace of one of your organizations.
      </p>
    </div>
  );
}
