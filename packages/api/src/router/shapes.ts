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
