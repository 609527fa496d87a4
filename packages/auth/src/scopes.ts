/**
 * What an access token may do. A token carries one or more scopes; each API procedure needs one
 * (or a browser session). Scopes are independent: `write` does not include `read`.
 *
 * - `read`   every query: lists, details, logs, the audit log the caller's role may read;
 * - `write`  content: workspace and user secrets, pipelines, compute environments, credentials,
 *            creating organizations and workspaces;
 * - `launch` launching and cancelling runs;
 * - `admin`  who has access and how: members and participants, workspace and organization
 *            settings and deletion, and instance administration (for instance admins);
 * - `session` is no scope a token can have: managing access tokens and "sign out everywhere" need a
 *            signed-in browser session, so a leaked token can neither mint a longer-lived one nor
 *            revoke the owner's other tokens and sessions.
 */
export const tokenScopes = ["read", "write", "launch", "admin"] as const;
export type TTokenScope = (typeof tokenScopes)[number];
export type TRequiredScope = TTokenScope | "session";

/** Procedures whose scope is not the default of their kind (queries `read`, mutations `write`). */
const SCOPE_OF: Record<string, TRequiredScope> = {
  "me.signOutEverywhere": "session",
  "me.tokens.limits": "session",
  "me.tokens.list": "session",
  "me.tokens.create": "session",
  "me.tokens.revoke": "session",
  "runs.launch": "launch",
  "runs.cancel": "launch",
  // A subscription reads: it says which runs changed and their states, as runs.list does.
  "runs.onChange": "read",
  "orgs.update": "admin",
  "orgs.delete": "admin",
  "orgs.members.add": "admin",
  "orgs.members.updateRole": "admin",
  "orgs.members.remove": "admin",
  "workspaces.update": "admin",
  "workspaces.delete": "admin",
  "workspaces.participants.add": "admin",
  "workspaces.participants.updateRole": "admin",
  "workspaces.participants.remove": "admin",
  "orgs.members.invitations.revoke": "admin",
  "workspaces.participants.invitations.revoke": "admin",
  // A webhook sends workspace activity to a URL and holds a signing secret: workspace settings.
  "webhooks.create": "admin",
  "webhooks.update": "admin",
  "webhooks.delete": "admin",
  "webhooks.rotateSecret": "admin",
  "webhooks.test": "admin",
  // Joining a tenant is a person's own act, in a browser: a leaked token cannot accept for them.
  "invitations.accept": "session",
  "invitations.decline": "session",
  // Trusting a cluster's host key is a person comparing a fingerprint: a leaked token cannot pin a login node of its choosing.
  "computeEnvs.confirmHostKey": "session",
};

/**
 * The scope a procedure needs from a token. Instance-admin procedures need `admin` whatever their
 * kind; a procedure that is not in the table gets its kind's default, so a new query is readable
 * with `read` and a new mutation needs `write` — never less.
 */
export function requiredScope(procedure: {
  path: string;
  type: "query" | "mutation" | "subscription";
  instanceAdmin?: boolean;
}): TRequiredScope {
  const listed = SCOPE_OF[procedure.path];
  if (listed) return listed;
  if (procedure.instanceAdmin) return "admin";
  return procedure.type === "query" ? "read" : "write";
}

/** Null when a token with `scopes` may call a procedure needing `required`, else why not (no secret in it). */
export function scopeRefusal(scopes: readonly string[], required: TRequiredScope): string | null {
  if (required === "session") return "Access tokens cannot do this: sign in to Lockstep in a browser.";
  if (scopes.includes(required)) return null;
  return `This access token lacks the "${required}" scope (it has: ${scopes.length > 0 ? scopes.join(", ") : "none"}).`;
}
