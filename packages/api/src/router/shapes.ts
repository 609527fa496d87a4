import { z } from "zod";
import { orgRoles, workspaceRoles } from "@lockstep/auth";

// Output shapes. None of them has a field for a secret value, a ciphertext, a password hash or
// a token hash — a test walks every output schema to keep it that way.
export const ZOrgRole = z.enum(orgRoles);
export const ZWorkspaceRole = z.enum(workspaceRoles);
export const ZVisibility = z.enum(["private", "shared"]);

export const ZUserOut = z.object({ id: z.string(), email: z.string(), name: z.string(), isInstanceAdmin: z.boolean(), createdAt: z.date() });

export const ZOrgOut = z.object({ id: z.string(), name: z.string(), slug: z.string(), description: z.string(), role: ZOrgRole, createdAt: z.date() });

export const ZMemberOut = z.object({ userId: z.string(), email: z.string(), name: z.string(), role: ZOrgRole, since: z.date() });

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
  createdAt: z.date(),
});

export const ZParticipantOut = z.object({ userId: z.string(), email: z.string(), name: z.string(), role: ZWorkspaceRole, since: z.date() });

export const ZTokenOut = z.object({
  id: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.date(),
  lastUsedAt: z.date().nullable(),
  expiresAt: z.date().nullable(),
});

const ZPerson = z.object({ id: z.string(), name: z.string(), email: z.string() }).nullable();

/** Secret metadata. There is deliberately no value, sealed value or key material here. */
export const ZSecretOut = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.date(),
  updatedAt: z.date(),
  lastUsedAt: z.date().nullable(),
  createdBy: ZPerson,
  updatedBy: ZPerson,
  lastUsedBy: ZPerson,
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
  at: z.date(),
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
