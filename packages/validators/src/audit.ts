import { z } from "zod";

/**
 * Every audit action Lockstep writes, with how a person reads it. Writers take `TAuditAction`, so an
 * action missing here does not compile; the Activity table labels and the action filter read the
 * same catalogue, so nothing written shows as a raw identifier.
 */
export type TAuditGroup = "secrets" | "runs" | "people" | "settings" | "credentials" | "compute" | "instance";
export type TAuditTone = "green" | "amber" | "red" | "indigo" | "slate";

export const auditGroupLabels: Record<TAuditGroup, string> = {
  secrets: "Secrets",
  runs: "Runs",
  people: "Participants and members",
  settings: "Settings",
  credentials: "Credentials",
  compute: "Compute environments",
  instance: "Instance",
};

type TEntry = { label: string; group: TAuditGroup; tone: TAuditTone };

export const auditActions = {
  // Secrets (workspace and user secrets).
  "secret.created": { label: "Secret created", group: "secrets", tone: "green" },
  "secret.overwritten": { label: "Secret overwritten", group: "secrets", tone: "amber" },
  "secret.deleted": { label: "Secret deleted", group: "secrets", tone: "red" },
  "secrets.imported": { label: "Secrets imported", group: "secrets", tone: "indigo" },
  "secrets.resealed": { label: "Secrets re-sealed", group: "secrets", tone: "slate" },
  // Runs and the secrets they carry.
  "run.launched": { label: "Run launched", group: "runs", tone: "indigo" },
  "run.started": { label: "Run started", group: "runs", tone: "slate" },
  "run.finished": { label: "Run finished", group: "runs", tone: "slate" },
  "run.cancel_requested": { label: "Run cancellation requested", group: "runs", tone: "amber" },
  "run.redacted": { label: "Run logs redacted", group: "runs", tone: "slate" },
  "run.redaction_failed": { label: "Run log redaction failed", group: "runs", tone: "red" },
  "secrets.provisioned": { label: "Secrets delivered to a run", group: "runs", tone: "indigo" },
  "secrets.refused": { label: "Secrets refused for a run", group: "runs", tone: "red" },
  "secrets.deleted": { label: "Run's secret copies deleted", group: "runs", tone: "green" },
  "secrets.cleanup_failed": { label: "Run's secret cleanup failed", group: "runs", tone: "red" },
  // Who is in the workspace or organization.
  "participant.invited": { label: "Participant invited", group: "people", tone: "indigo" },
  "participant.role_changed": { label: "Participant role changed", group: "people", tone: "amber" },
  "participant.removed": { label: "Participant removed", group: "people", tone: "red" },
  "member.invited": { label: "Member invited", group: "people", tone: "indigo" },
  "member.role_changed": { label: "Member role changed", group: "people", tone: "amber" },
  "member.removed": { label: "Member removed", group: "people", tone: "red" },
  "invitation.accepted": { label: "Invitation accepted", group: "people", tone: "green" },
  "invitation.declined": { label: "Invitation declined", group: "people", tone: "slate" },
  "invitation.revoked": { label: "Invitation revoked", group: "people", tone: "amber" },
  // Settings.
  "workspace.updated": { label: "Workspace settings changed", group: "settings", tone: "amber" },
  "org.updated": { label: "Organization settings changed", group: "settings", tone: "amber" },
  "webhook.created": { label: "Webhook endpoint added", group: "settings", tone: "indigo" },
  "webhook.updated": { label: "Webhook endpoint changed", group: "settings", tone: "amber" },
  "webhook.secret_rotated": { label: "Webhook signing secret rotated", group: "settings", tone: "amber" },
  "webhook.deleted": { label: "Webhook endpoint deleted", group: "settings", tone: "red" },
  // Credentials and compute environments.
  "credential.created": { label: "Credential created", group: "credentials", tone: "green" },
  "credential.overwritten": { label: "Credential overwritten", group: "credentials", tone: "amber" },
  "credential.deleted": { label: "Credential deleted", group: "credentials", tone: "red" },
  "computeEnv.checked": { label: "Compute environment checked", group: "compute", tone: "slate" },
  "computeEnv.hostKeyConfirmed": { label: "Cluster host key confirmed", group: "compute", tone: "amber" },
  // The instance (not shown in a workspace's Activity).
  "instance.setup_claimed": { label: "Instance set up", group: "instance", tone: "indigo" },
  "instance.settings_updated": { label: "Instance settings changed", group: "instance", tone: "amber" },
  "instance.sessions_ended": { label: "User's sessions ended", group: "instance", tone: "amber" },
  "instance.admin_granted": { label: "Instance admin granted", group: "instance", tone: "amber" },
  "instance.admin_revoked": { label: "Instance admin revoked", group: "instance", tone: "amber" },
  "instance.user_disabled": { label: "User disabled", group: "instance", tone: "red" },
  "instance.user_enabled": { label: "User enabled", group: "instance", tone: "green" },
} as const satisfies Record<string, TEntry>;

export type TAuditAction = keyof typeof auditActions;

export const auditActionNames = Object.keys(auditActions) as [TAuditAction, ...TAuditAction[]];

export const ZAuditAction = z.enum(auditActionNames, { error: "Choose an action from the list." });

export function isAuditAction(value: string): value is TAuditAction {
  return Object.hasOwn(auditActions, value);
}

/** The label of an action; one written before the catalogue knew it reads as words, never as an identifier. */
export function auditActionLabel(action: string): string {
  if (isAuditAction(action)) return auditActions[action].label;
  const words = action.replace(/[._]+/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The actions a filter offers for a source, grouped as a person scans them. */
export function auditFilterGroups(
  source: "workspace" | "mine",
): { group: TAuditGroup; label: string; actions: { value: TAuditAction; label: string }[] }[] {
  const groups: TAuditGroup[] =
    source === "mine" ? ["secrets"] : ["secrets", "runs", "people", "settings", "credentials", "compute"];
  return groups.map((group) => ({
    group,
    label: auditGroupLabels[group],
    actions: (Object.entries(auditActions) as [TAuditAction, TEntry][])
      .filter(([, e]) => e.group === group)
      .map(([value, e]) => ({ value, label: e.label })),
  }));
}
