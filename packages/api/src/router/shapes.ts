import { z } from "zod";
import { orgRoles, tokenScopes, workspaceRoles } from "@lockstep/auth";
import {
  RUN_STATUSES,
  SECRETS_STATES,
  STORED_COMPUTE_ENV_CONFIGS,
  ZPipelineSecretNeeds,
  ZSecretUse,
  type TComputeEnvKind,
} from "@lockstep/validators";
import { withCursor } from "../paging";

// Output shapes. None of them has a field for a secret value, a ciphertext, a password hash or
// a token hash — a test walks every output schema to keep it that way.
/**
 * Every date leaves the API as an ISO 8601 string (UTC, milliseconds), not a Date: superjson would
 * otherwise write a type annotation for each date of each row, which cost more than the query.
 * A Date is written with `toISOString()`; list pages select their dates as that text already
 * (`isoText` in @lockstep/db, issue #15), which passes as it is when it has exactly that form. The
 * output (what OpenAPI describes) is the same string either way.
 */
const ISO_TEXT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
export const ZIsoDate = z
  .union([z.string().regex(ISO_TEXT), z.date().transform((d) => d.toISOString())])
  .pipe(z.string());

export const ZOrgRole = z.enum(orgRoles);
export const ZWorkspaceRole = z.enum(workspaceRoles);
export const ZVisibility = z.enum(["private", "shared"]);

export const ZUserOut = z.object({
  id: z.string(),
  email: z.string(),
  name: z.string(),
  isInstanceAdmin: z.boolean(),
  createdAt: ZIsoDate,
});

export const ZOrgOut = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  role: ZOrgRole,
  createdAt: ZIsoDate,
});

export const ZMemberOut = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: ZOrgRole,
  since: ZIsoDate,
});

export const ZWorkspaceOut = z.object({
  id: z.string(),
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  visibility: ZVisibility,
  personal: z.boolean(),
  orgId: z.string().nullable(),
  orgName: z.string().nullable(),
  role: ZWorkspaceRole,
  createdAt: ZIsoDate,
});

export const ZParticipantOut = z.object({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: ZWorkspaceRole,
  since: ZIsoDate,
});

/** An invitation to an organization or one of its workspaces (what "add a member / participant" creates). */
export const ZInvitationOut = z.object({
  id: z.string(),
  email: z.string(),
  status: z.enum(["pending", "accepted", "declined", "revoked", "expired"]),
  kind: z.enum(["organization", "workspace"]),
  orgId: z.string(),
  orgName: z.string(),
  workspaceId: z.string().nullable(),
  workspaceName: z.string().nullable(),
  /** The org role (organization invitations) or the workspace role (workspace invitations). */
  role: z.union([ZOrgRole, ZWorkspaceRole]),
  invitedBy: z.object({ name: z.string(), email: z.string() }).nullable(),
  createdAt: ZIsoDate,
  expiresAt: ZIsoDate,
});

export const ZTokenOut = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  scopes: z.array(z.enum(tokenScopes)),
  createdAt: ZIsoDate,
  lastUsedAt: ZIsoDate.nullable(),
  /** Where the token was last used from (client address), shown so its owner can spot misuse. */
  lastUsedIp: z.string().nullable(),
  expiresAt: ZIsoDate,
});

const ZPerson = z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable();

/** Secret metadata. There is deliberately no value, sealed value or key material here. */
export const ZSecretOut = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
  lastUsedAt: ZIsoDate.nullable(),
  /**
   * The value rule the stored value breaks, in the rule's words (found by the worker for values
   * sealed in a client); null when it is fine or not yet checked — valueCheckedAt says which.
   */
  valueProblem: z.string().nullable(),
  valueCheckedAt: ZIsoDate.nullable(),
  createdBy: ZPerson,
  updatedBy: ZPerson,
  lastUsedBy: ZPerson,
  /** The run that last received it (a link on the list: a personal secret's may be in any workspace), and the value's current version. */
  lastUsedRun: z.object({ id: z.string(), workspaceId: z.string() }).nullable(),
  version: z.number(),
});

/** A row of a secrets list page (workspace or personal), with its cursor. */
export const ZSecretPageRow = withCursor(ZSecretOut);

/** A secret's write history: versions with who and when, never a value. */
export const ZSecretHistoryOut = z.object({
  id: z.string(),
  name: z.string(),
  versions: z.array(
    z.object({
      version: z.number(),
      writtenAt: ZIsoDate,
      action: z.string(),
      via: z.string().nullable(),
      writtenBy: ZPerson,
    }),
  ),
  /** Pass as `cursor` for the next (older) page; null on the last. */
  nextCursor: z.number().nullable(),
});

export const ZSecretRefOut = z.object({ id: z.string(), name: z.string() });

export const ZValidateNameOut = z.discriminatedUnion("status", [
  z.object({ status: z.literal("ok") }),
  z.object({ status: z.literal("invalid"), reason: z.string() }),
  z.object({ status: z.literal("duplicate"), reason: z.string() }),
]);

export const ZImportOut = z.object({ created: z.number(), overwritten: z.number() });

export const ZAuditEventOut = z.object({
  seq: z.number(),
  id: z.string(),
  at: ZIsoDate,
  actorId: z.string().nullable(),
  actorEmail: z.string().nullable(),
  ip: z.string().nullable(),
  userAgent: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  targetName: z.string().nullable(),
  runId: z.string().nullable(),
  detail: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.array(z.string()), z.null()])),
});

/** What every compute environment answers, whatever its kind. */
const computeEnvOutFields = {
  id: z.string(),
  name: z.string(),
  workDir: z.string(),
  nextflowVersion: z.string(),
  /** Names of the environment variables only (their values may be sensitive configuration). */
  envNames: z.array(z.string()),
  maxRunSeconds: z.number(),
  /** "Check connection" (cloud and SSH kinds; null otherwise): when one was asked for, and the worker's last answer. */
  check: z
    .object({
      requestedAt: ZIsoDate.nullable(),
      at: ZIsoDate.nullable(),
      ok: z.boolean().nullable(),
      message: z.string().nullable(),
      /** SSH kinds: the host key fingerprint the login node presented, waiting for the workspace to confirm it (null: none waiting). */
      hostKey: z.string().nullable(),
    })
    .nullable(),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
};

/** One kind's answer: `config` is that kind's stored settings (the schema `parseComputeEnv` holds a stored row to). */
function computeEnvOutOf<K extends TComputeEnvKind, E extends z.ZodRawShape>(kind: K, extra: E) {
  return z.object({
    ...computeEnvOutFields,
    ...extra,
    kind: z.literal(kind),
    config: STORED_COMPUTE_ENV_CONFIGS[kind],
  });
}

/** A compute environment, discriminated by `kind` (each kind with its own `config`); `extra`: fields a list adds. */
function computeEnvOutShape<E extends z.ZodRawShape>(extra: E) {
  return z.discriminatedUnion("kind", [
    computeEnvOutOf("local", extra),
    computeEnvOutOf("slurm", extra),
    computeEnvOutOf("aws-batch", extra),
    computeEnvOutOf("google-batch", extra),
    computeEnvOutOf("ssh-slurm", extra),
    computeEnvOutOf("ssh-lsf", extra),
    computeEnvOutOf("ssh-pbspro", extra),
    computeEnvOutOf("ssh-sge", extra),
  ]);
}

export const ZComputeEnvOut = computeEnvOutShape({});
/** A row of computeEnvs.list: pass `cursor` to get the rows after it (same sort and search). */
export const ZComputeEnvListRow = computeEnvOutShape({ cursor: z.string() });

export const ZPipelineOut = z.object({
  id: z.string(),
  name: z.string(),
  repository: z.string(),
  revision: z.string().nullable(),
  defaultParams: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  defaultComputeEnvId: z.string().nullable(),
  optionalSecrets: z.array(z.string()),
  /** What the sources ask for (null: not scanned since this was added), and the same in words. */
  secretNeeds: ZPipelineSecretNeeds.nullable(),
  secretNeedsText: z.string(),
  /** Whether the pinned Nextflow checked these sources' config (`nextflow config`, in the worker) and which names it saw. */
  nextflowCheck: z
    .object({
      state: z.enum(["pending", "checked", "failed"]),
      version: z.string().nullable(),
      checkedAt: z.string().nullable(),
      names: z.array(z.string()),
      reason: z.string().nullable(),
    })
    .nullable(),
  createdAt: ZIsoDate,
  updatedAt: ZIsoDate,
});

export const ZLaunchNeedsOut = z.object({
  known: z.boolean(),
  description: z.string(),
  reason: z.string().nullable(),
  fingerprint: z.string().nullable(),
  problems: z.array(z.string()),
  items: z.array(
    z.object({
      name: z.string(),
      uses: z.array(ZSecretUse),
      optional: z.boolean(),
      source: z.enum(["workspace", "user", "missing"]),
    }),
  ),
});

export const ZReceiptOut = z.object({
  runId: z.string(),
  pipelineName: z.string(),
  computeEnvName: z.string(),
  secretsState: z.enum(["NONE", "PENDING", "PROVISIONED", "DELETING", "DELETED", "CLEANUP_FAILED"]),
  provider: z.string().nullable(),
  store: z.string().nullable(),
  secrets: z.array(z.object({ name: z.string(), source: z.enum(["workspace", "user"]) })),
  personalSecretCount: z.number(),
  copies: z.array(
    z.object({
      location: z.string(),
      writtenAt: z.string(),
      goneAt: z.string().nullable(),
      verifiedBy: z.string().nullable(),
    }),
  ),
  sidecars: z.string().nullable(),
  deletion: z.object({
    verified: z.boolean(),
    at: z.string().nullable(),
    method: z.string().nullable(),
    attempts: z.number(),
    lastError: z.string().nullable(),
  }),
  redaction: z
    .object({ occurrences: z.number(), files: z.number(), scannedFiles: z.number(), at: z.string() })
    .nullable(),
  generatedAt: z.string(),
});

export const ZRunSecretRefOut = z.object({ name: z.string(), source: z.enum(["workspace", "user"]) });

export const ZRunOut = z.object({
  id: z.string(),
  status: z.enum(RUN_STATUSES),
  secretsState: z.enum(SECRETS_STATES),
  pipelineId: z.string().nullable(),
  pipelineName: z.string(),
  repository: z.string(),
  revision: z.string().nullable(),
  computeEnvId: z.string().nullable(),
  computeEnvName: z.string(),
  computeEnvKind: z.string(),
  /** Cloud runs: the head job's id (AWS Batch job id, Google Batch job name) and the run's work prefix, to find its log. */
  cloudHead: z.object({ job: z.string(), workDir: z.string() }).nullable(),
  params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])),
  /** Workspace secrets by name; the launcher's personal secrets by name only for the launcher. */
  secretNames: z.array(ZRunSecretRefOut),
  /** How many of the run's secrets are the launcher's personal secrets (everyone sees the count). */
  personalSecretCount: z.number(),
  launcher: z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable(),
  exitCode: z.number().nullable(),
  errorMessage: z.string().nullable(),
  cancelRequested: z.boolean(),
  progress: z.object({
    tasks: z.number().optional(),
    succeeded: z.number().optional(),
    failed: z.number().optional(),
    running: z.number().optional(),
  }),
  submittedAt: ZIsoDate,
  provisionedAt: ZIsoDate.nullable(),
  startedAt: ZIsoDate.nullable(),
  finishedAt: ZIsoDate.nullable(),
  secretsDeletedAt: ZIsoDate.nullable(),
  deadlineAt: ZIsoDate,
  cleanupAttempts: z.number(),
  lastCleanupError: z.string().nullable(),
  /** What the end-of-run pass overwrote in the run's log files: counts only. Null until it ran. */
  redaction: z
    .object({ occurrences: z.number(), files: z.number(), scannedFiles: z.number(), at: z.string() })
    .nullable(),
});

/** What versions of its secrets a run received, and what changed since (no fingerprint, only equality answers). */
export const ZRunSecretVersionsOut = z.object({
  runId: z.string(),
  recorded: z.boolean(),
  secrets: z.array(
    z.object({
      name: z.string(),
      source: z.enum(["workspace", "user"]),
      version: z.number(),
      currentVersion: z.number().nullable(),
      changed: z.boolean(),
      sameValue: z.boolean().nullable(),
    }),
  ),
  personal: z.object({ count: z.number(), changed: z.number() }),
  comparedWith: z.string().nullable(),
});

export const ZLogLineOut = z.object({ seq: z.number(), line: z.string(), at: ZIsoDate });
