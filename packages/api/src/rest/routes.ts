import { z } from "zod";
import {
  MAX_ENV_VARS,
  ZComputeEnvInput,
  ZEnvName,
  ZId,
  ZParams,
  ZPipelineInput,
  ZSecretName,
  ZSecretSelection,
  ZSecretValue,
} from "@lockstep/validators";
import type { createCaller } from "../root";
import {
  ZAuditEventOut,
  ZComputeEnvOut,
  ZLogLineOut,
  ZOrgOut,
  ZPipelineOut,
  ZRunOut,
  ZUserOut,
  ZWorkspaceOut,
} from "../router/shapes";
import { cursorPage, restProblem } from "./paging";

/**
 * The REST API (/api/v1) as a table of routes. Each route only reshapes: it calls tRPC procedures
 * through a server-side caller, so permissions, scopes, validation and audit are the procedures'
 * own (one implementation of the rules). Request and response schemas here are the shared zod
 * schemas (or built from them) and generate the OpenAPI document (openapi.ts).
 */
export type TCaller = ReturnType<typeof createCaller>;

export type TRouteInput<Q, B> = { params: Record<string, string>; query: Q; body: B };

export type TRoute = {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** OpenAPI path template below /api/v1, e.g. /pipeline-secrets/{secretId}. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  /** The tRPC procedures the route calls: their permission and token scope apply. */
  procedures: string[];
  query?: z.ZodObject;
  body?: z.ZodType;
  /** Null: answers 204 No Content. */
  response: z.ZodType | null;
  /** Success status when there is a body (default 200). */
  status?: number;
  run: (caller: TCaller, input: TRouteInput<unknown, unknown>) => Promise<unknown>;
};

function route<Q extends z.ZodObject = z.ZodObject<Record<string, never>>, B extends z.ZodType = z.ZodUndefined>(
  r: Omit<TRoute, "query" | "body" | "run"> & {
    query?: Q;
    body?: B;
    run: (caller: TCaller, input: TRouteInput<z.output<Q>, z.output<B>>) => Promise<unknown>;
  },
): TRoute {
  return r as unknown as TRoute;
}

// ── Shared pieces ─────────────────────────────────────────────────────────────────────────────

const ZLimit = (max: number, fallback: number) =>
  z.coerce
    .number({ error: "limit must be a number." })
    .int({ error: "limit must be a whole number." })
    .min(1, "limit must be at least 1.")
    .max(max, `limit must be at most ${max}.`)
    .default(fallback);
const ZCursor = z
  .string()
  .max(1000, "cursor is at most 1,000 characters.")
  .optional()
  .describe("nextCursor of the previous page; omit for the first page.");
const paged = { limit: ZLimit(200, 50), cursor: ZCursor };

/** A page of a list: stable ids, newest or natural order as the list documents, and the cursor of the next page. */
const ZPage = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

const ZWorkspaceQuery = z.object({
  workspaceId: z.string().optional().describe("The workspace (as in Seqera's API). Omit it for your own user secrets."),
});

/** Seqera's pipeline secret: metadata only. There is no value field, ever. */
const ZPipelineSecret = z.object({
  id: z.string(),
  name: z.string(),
  lastUsed: z.iso.datetime().nullable(),
  dateCreated: z.iso.datetime(),
  lastUpdated: z.iso.datetime(),
});

/**
 * A value is write-only. `value`: the plaintext, sealed by the server on receipt (over TLS, as with
 * Seqera). `sealedValue`: an `lsv1.` envelope the client sealed with GET /secrets/public-key (what
 * the browser and the lockstep CLI send): the plaintext never reaches the server. Exactly one.
 */
const valueFields = {
  value: ZSecretValue.optional().describe("The plaintext value, sealed by the server on receipt. Write-only."),
  sealedValue: z
    .string()
    .max(100_000)
    .optional()
    .describe(
      "The value sealed client-side (HPKE, GET /secrets/public-key), bound to the secret's scope, owner and name. Write-only.",
    ),
};
function valueOf(body: { value?: string; sealedValue?: string }) {
  if ((body.value === undefined) === (body.sealedValue === undefined)) {
    throw restProblem(400, "BAD_REQUEST", "Send exactly one of value and sealedValue.", {
      value: "Send exactly one of value and sealedValue.",
    });
  }
  return body.value !== undefined ? { plain: body.value } : { sealed: body.sealedValue! };
}

function pipelineSecretOut(s: {
  id: string;
  name: string;
  createdAt: string;
  updatedAt: string;
  lastUsedAt: string | null;
}) {
  return { id: s.id, name: s.name, lastUsed: s.lastUsedAt, dateCreated: s.createdAt, lastUpdated: s.updatedAt };
}

/** One page of the workspace's (or, without workspaceId, the caller's own) secrets, by name. */
async function listSecretsOf(
  caller: TCaller,
  workspaceId: string | undefined,
  page: { limit: number; cursor?: string } = { limit: 200 },
) {
  return workspaceId !== undefined ? caller.secrets.list({ workspaceId, ...page }) : caller.userSecrets.list(page);
}

/** A page a procedure answered (each row with its `cursor`) in the REST shape: the next page's cursor, or null after the last. */
function fromProcedurePage<T extends { cursor: string }>(
  rows: readonly T[],
  limit: number,
): { items: T[]; nextCursor: string | null } {
  return { items: [...rows], nextCursor: rows.length >= limit ? rows.at(-1)!.cursor : null };
}

const ws = (params: Record<string, string>) => params.workspaceId!;

/** A secret by id, through the paged list (the procedures have no get): null when it is not there for the caller. */
async function findSecretById(caller: TCaller, workspaceId: string | undefined, secretId: string) {
  let cursor: string | undefined;
  for (;;) {
    const rows = await listSecretsOf(caller, workspaceId, { limit: 200, cursor });
    const found = rows.find((s) => s.id === secretId);
    if (found) return found;
    if (rows.length < 200) return null;
    cursor = rows.at(-1)!.cursor;
  }
}

// ── Routes ────────────────────────────────────────────────────────────────────────────────────

export const restRoutes: TRoute[] = [
  // Seqera-compatible pipeline secrets. Without workspaceId they are the caller's user secrets.
  route({
    method: "GET",
    path: "/pipeline-secrets",
    operationId: "ListPipelineSecrets",
    summary: "List pipeline secrets (names and dates, never values)",
    tag: "pipeline-secrets",
    procedures: ["secrets.list", "userSecrets.list"],
    query: ZWorkspaceQuery.extend(paged),
    response: z.object({
      pipelineSecrets: z.array(ZPipelineSecret),
      totalSize: z.number().int(),
      nextCursor: z.string().nullable(),
    }),
    run: async (caller, { query }) => {
      const page = fromProcedurePage(
        await listSecretsOf(caller, query.workspaceId, { limit: query.limit, cursor: query.cursor }),
        query.limit,
      );
      // Seqera's list is not paged; here a page is, and totalSize counts the secrets in this page.
      const items = page.items.map(pipelineSecretOut);
      return { pipelineSecrets: items, totalSize: items.length, nextCursor: page.nextCursor };
    },
  }),
  route({
    method: "POST",
    path: "/pipeline-secrets",
    operationId: "CreatePipelineSecret",
    summary: "Create a pipeline secret",
    tag: "pipeline-secrets",
    procedures: ["secrets.create", "userSecrets.create"],
    query: ZWorkspaceQuery,
    body: z.object({ name: ZSecretName, ...valueFields }),
    response: z.object({ secretId: z.string() }),
    run: async (caller, { query, body }) => {
      const input = { name: body.name, value: valueOf(body) };
      const row =
        query.workspaceId !== undefined
          ? await caller.secrets.create({ workspaceId: query.workspaceId, ...input })
          : await caller.userSecrets.create(input);
      return { secretId: row.id };
    },
  }),
  route({
    method: "GET",
    path: "/pipeline-secrets/validate",
    operationId: "ValidatePipelineSecretName",
    summary: "Check a secret name: 204 when free and valid, 400 invalid, 409 taken",
    tag: "pipeline-secrets",
    procedures: ["secrets.validateName", "userSecrets.validateName"],
    query: ZWorkspaceQuery.extend({ name: z.string({ error: "name is required." }).max(200) }),
    response: null,
    run: async (caller, { query }) => {
      const answer =
        query.workspaceId !== undefined
          ? await caller.secrets.validateName({ workspaceId: query.workspaceId, name: query.name })
          : await caller.userSecrets.validateName({ name: query.name });
      if (answer.status === "invalid") throw restProblem(400, "BAD_REQUEST", answer.reason, { name: answer.reason });
      if (answer.status === "duplicate") throw restProblem(409, "CONFLICT", answer.reason, { name: answer.reason });
      return null;
    },
  }),
  route({
    method: "GET",
    path: "/pipeline-secrets/{secretId}",
    operationId: "DescribePipelineSecret",
    summary: "Describe a pipeline secret (metadata only)",
    tag: "pipeline-secrets",
    procedures: ["secrets.list", "userSecrets.list"],
    query: ZWorkspaceQuery,
    response: z.object({ pipelineSecret: ZPipelineSecret }),
    run: async (caller, { params, query }) => {
      const found = await findSecretById(caller, query.workspaceId, params.secretId!);
      if (!found) throw restProblem(404, "NOT_FOUND", "No such secret.");
      return { pipelineSecret: pipelineSecretOut(found) };
    },
  }),
  route({
    method: "PUT",
    path: "/pipeline-secrets/{secretId}",
    operationId: "UpdatePipelineSecret",
    summary: "Overwrite a pipeline secret's value",
    tag: "pipeline-secrets",
    procedures: ["secrets.update", "userSecrets.update"],
    query: ZWorkspaceQuery,
    body: z.object(valueFields),
    response: null,
    run: async (caller, { params, query, body }) => {
      const input = { secretId: params.secretId!, value: valueOf(body) };
      if (query.workspaceId !== undefined) await caller.secrets.update({ workspaceId: query.workspaceId, ...input });
      else await caller.userSecrets.update(input);
      return null;
    },
  }),
  route({
    method: "DELETE",
    path: "/pipeline-secrets/{secretId}",
    operationId: "DeletePipelineSecret",
    summary: "Delete a pipeline secret",
    tag: "pipeline-secrets",
    procedures: ["secrets.delete", "userSecrets.delete"],
    query: ZWorkspaceQuery,
    response: null,
    run: async (caller, { params, query }) => {
      if (query.workspaceId !== undefined)
        await caller.secrets.delete({ workspaceId: query.workspaceId, secretId: params.secretId! });
      else await caller.userSecrets.delete({ secretId: params.secretId! });
      return null;
    },
  }),
  route({
    method: "GET",
    path: "/secrets/public-key",
    operationId: "GetSealingPublicKey",
    summary: "The public key to seal values with before sending them (sealedValue)",
    description:
      "Seal with HPKE (RFC 9180: DHKEM X25519 HKDF-SHA256, HKDF-SHA256, AES-256-GCM), info `lockstep/secret-value/v1`, the secret's scope (`workspace` or `user`), owner id (workspace id, or your user id from GET /me) and name as associated data; @lockstep/crypto's `seal` does exactly this.",
    tag: "pipeline-secrets",
    procedures: ["secrets.publicKey"],
    response: z.object({ kid: z.string(), publicKey: z.string(), algorithm: z.string() }),
    run: (caller) => caller.secrets.publicKey(),
  }),

  // Who am I.
  route({
    method: "GET",
    path: "/me",
    operationId: "GetMe",
    summary: "The token's owner",
    tag: "account",
    procedures: ["me.get"],
    response: ZUserOut,
    run: (caller) => caller.me.get(),
  }),

  // Organizations and workspaces.
  route({
    method: "GET",
    path: "/orgs",
    operationId: "ListOrganizations",
    summary: "Organizations you belong to",
    tag: "orgs",
    procedures: ["orgs.list"],
    query: z.object(paged),
    response: ZPage(ZOrgOut),
    run: async (caller, { query }) => cursorPage(await caller.orgs.list(), query.cursor, query.limit),
  }),
  route({
    method: "GET",
    path: "/orgs/{orgId}",
    operationId: "DescribeOrganization",
    summary: "An organization",
    tag: "orgs",
    procedures: ["orgs.get"],
    response: ZOrgOut,
    run: (caller, { params }) => caller.orgs.get({ orgId: params.orgId! }),
  }),
  route({
    method: "GET",
    path: "/workspaces",
    operationId: "ListWorkspaces",
    summary: "Workspaces you can see (your personal one first)",
    tag: "workspaces",
    procedures: ["workspaces.list"],
    query: z.object({ orgId: ZId.optional(), ...paged }),
    response: ZPage(ZWorkspaceOut),
    run: async (caller, { query }) =>
      cursorPage(await caller.workspaces.list({ orgId: query.orgId }), query.cursor, query.limit),
  }),
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}",
    operationId: "DescribeWorkspace",
    summary: "A workspace and your role in it",
    tag: "workspaces",
    procedures: ["workspaces.get"],
    response: ZWorkspaceOut,
    run: (caller, { params }) => caller.workspaces.get({ workspaceId: ws(params) }),
  }),

  // Compute environments.
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/compute-envs",
    operationId: "ListComputeEnvs",
    summary: "Compute environments of a workspace",
    tag: "compute-envs",
    procedures: ["computeEnvs.list"],
    query: z.object(paged),
    response: ZPage(ZComputeEnvOut),
    run: async (caller, { params, query }) =>
      fromProcedurePage(
        await caller.computeEnvs.list({ workspaceId: ws(params), limit: query.limit, cursor: query.cursor }),
        query.limit,
      ),
  }),
  route({
    method: "POST",
    path: "/workspaces/{workspaceId}/compute-envs",
    operationId: "CreateComputeEnv",
    summary: "Create a compute environment",
    tag: "compute-envs",
    procedures: ["computeEnvs.create"],
    body: ZComputeEnvInput,
    response: ZComputeEnvOut,
    status: 201,
    run: (caller, { params, body }) => caller.computeEnvs.create({ workspaceId: ws(params), computeEnv: body }),
  }),
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/compute-envs/{computeEnvId}",
    operationId: "DescribeComputeEnv",
    summary: "A compute environment (variable names only, never values)",
    tag: "compute-envs",
    procedures: ["computeEnvs.get"],
    response: ZComputeEnvOut,
    run: (caller, { params }) =>
      caller.computeEnvs.get({ workspaceId: ws(params), computeEnvId: params.computeEnvId! }),
  }),
  route({
    method: "PUT",
    path: "/workspaces/{workspaceId}/compute-envs/{computeEnvId}",
    operationId: "UpdateComputeEnv",
    summary: "Replace a compute environment's settings",
    description:
      "Variable values are never sent back: list in `keepEnv` the stored variables to keep as they are (refused while a run holds the environment).",
    tag: "compute-envs",
    procedures: ["computeEnvs.update"],
    body: z.object({ computeEnv: ZComputeEnvInput, keepEnv: z.array(ZEnvName).max(MAX_ENV_VARS).default([]) }),
    response: ZComputeEnvOut,
    run: (caller, { params, body }) =>
      caller.computeEnvs.update({ workspaceId: ws(params), computeEnvId: params.computeEnvId!, ...body }),
  }),
  route({
    method: "DELETE",
    path: "/workspaces/{workspaceId}/compute-envs/{computeEnvId}",
    operationId: "DeleteComputeEnv",
    summary: "Delete a compute environment (refused while a run holds it)",
    tag: "compute-envs",
    procedures: ["computeEnvs.delete"],
    response: null,
    run: async (caller, { params }) => {
      await caller.computeEnvs.delete({ workspaceId: ws(params), computeEnvId: params.computeEnvId! });
      return null;
    },
  }),

  // Pipelines.
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/pipelines",
    operationId: "ListPipelines",
    summary: "Pipelines of a workspace",
    tag: "pipelines",
    procedures: ["pipelines.list"],
    query: z.object(paged),
    response: ZPage(ZPipelineOut),
    run: async (caller, { params, query }) =>
      fromProcedurePage(
        await caller.pipelines.list({ workspaceId: ws(params), limit: query.limit, cursor: query.cursor }),
        query.limit,
      ),
  }),
  route({
    method: "POST",
    path: "/workspaces/{workspaceId}/pipelines",
    operationId: "CreatePipeline",
    summary: "Add a pipeline",
    tag: "pipelines",
    procedures: ["pipelines.create"],
    body: ZPipelineInput,
    response: ZPipelineOut,
    status: 201,
    run: (caller, { params, body }) => caller.pipelines.create({ workspaceId: ws(params), pipeline: body }),
  }),
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/pipelines/{pipelineId}",
    operationId: "DescribePipeline",
    summary: "A pipeline",
    tag: "pipelines",
    procedures: ["pipelines.get"],
    response: ZPipelineOut,
    run: (caller, { params }) => caller.pipelines.get({ workspaceId: ws(params), pipelineId: params.pipelineId! }),
  }),
  route({
    method: "PUT",
    path: "/workspaces/{workspaceId}/pipelines/{pipelineId}",
    operationId: "UpdatePipeline",
    summary: "Replace a pipeline's settings",
    tag: "pipelines",
    procedures: ["pipelines.update"],
    body: ZPipelineInput,
    response: ZPipelineOut,
    run: (caller, { params, body }) =>
      caller.pipelines.update({ workspaceId: ws(params), pipelineId: params.pipelineId!, pipeline: body }),
  }),
  route({
    method: "DELETE",
    path: "/workspaces/{workspaceId}/pipelines/{pipelineId}",
    operationId: "DeletePipeline",
    summary: "Delete a pipeline",
    tag: "pipelines",
    procedures: ["pipelines.delete"],
    response: null,
    run: async (caller, { params }) => {
      await caller.pipelines.delete({ workspaceId: ws(params), pipelineId: params.pipelineId! });
      return null;
    },
  }),

  // Runs.
  route({
    method: "POST",
    path: "/workspaces/{workspaceId}/runs",
    operationId: "LaunchRun",
    summary: "Launch a pipeline",
    description:
      "Without `secrets`, the run gets exactly the secrets the pipeline's sources need (see the pipeline's secretNeeds).",
    tag: "runs",
    procedures: ["runs.launch"],
    body: z.object({
      pipelineId: ZId,
      computeEnvId: ZId.optional(),
      params: ZParams.optional(),
      secrets: ZSecretSelection.optional(),
    }),
    response: ZRunOut,
    status: 201,
    run: (caller, { params, body }) => caller.runs.launch({ workspaceId: ws(params), ...body }),
  }),
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/runs",
    operationId: "ListRuns",
    summary: "Runs of a workspace, newest first",
    tag: "runs",
    procedures: ["runs.list"],
    query: z.object(paged),
    response: ZPage(ZRunOut),
    run: async (caller, { params, query }) => {
      const after = query.cursor === undefined ? undefined : ZId.safeParse(query.cursor).data;
      if (query.cursor !== undefined && after === undefined)
        throw restProblem(400, "BAD_REQUEST", "cursor: not a cursor this list gave.", {
          cursor: "not a cursor this list gave",
        });
      // One more than asked for tells whether there is a next page.
      const rows = await caller.runs.list({ workspaceId: ws(params), limit: query.limit + 1, after });
      const items = rows.slice(0, query.limit);
      return { items, nextCursor: rows.length > query.limit ? items.at(-1)!.id : null };
    },
  }),
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/runs/{runId}",
    operationId: "DescribeRun",
    summary: "A run: status, progress, secrets' state",
    tag: "runs",
    procedures: ["runs.get"],
    response: ZRunOut,
    run: (caller, { params }) => caller.runs.get({ workspaceId: ws(params), runId: params.runId! }),
  }),
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/runs/{runId}/logs",
    operationId: "ListRunLogLines",
    summary: "The run's log as stored (secret values masked), oldest first",
    description:
      "nextCursor is null once the stored log is read to its end; to follow a live run, ask again with the last line's `seq` as cursor.",
    tag: "runs",
    procedures: ["runs.logs"],
    query: z.object({ limit: ZLimit(2000, 500), cursor: ZCursor }),
    response: ZPage(ZLogLineOut),
    run: async (caller, { params, query }) => {
      const afterSeq = query.cursor === undefined ? 0 : Number(query.cursor);
      if (!Number.isSafeInteger(afterSeq) || afterSeq < 0)
        throw restProblem(400, "BAD_REQUEST", "cursor: not a cursor this list gave.", {
          cursor: "not a cursor this list gave",
        });
      const { lines } = await caller.runs.logs({
        workspaceId: ws(params),
        runId: params.runId!,
        afterSeq,
        limit: query.limit,
      });
      // A full page may have more behind it; a short one is the end for now. A live run adds
      // lines: to follow it, ask again with the last line's seq as cursor.
      return { items: lines, nextCursor: lines.length === query.limit ? String(lines.at(-1)!.seq) : null };
    },
  }),
  route({
    method: "POST",
    path: "/workspaces/{workspaceId}/runs/{runId}/cancel",
    operationId: "CancelRun",
    summary: "Cancel a run (your own with the launch role; any with maintainer and up)",
    tag: "runs",
    procedures: ["runs.cancel"],
    response: null,
    run: async (caller, { params }) => {
      await caller.runs.cancel({ workspaceId: ws(params), runId: params.runId! });
      return null;
    },
  }),

  // Audit.
  route({
    method: "GET",
    path: "/workspaces/{workspaceId}/audit",
    operationId: "ListAuditEvents",
    summary: "The workspace's audit log, newest first (owners and admins)",
    tag: "audit",
    procedures: ["audit.list"],
    query: z.object({ limit: ZLimit(500, 50), cursor: ZCursor, action: z.string().max(100).optional() }),
    response: ZPage(ZAuditEventOut),
    run: async (caller, { params, query }) => {
      const cursor = query.cursor === undefined ? undefined : Number(query.cursor);
      if (cursor !== undefined && (!Number.isSafeInteger(cursor) || cursor < 1))
        throw restProblem(400, "BAD_REQUEST", "cursor: not a cursor this list gave.", {
          cursor: "not a cursor this list gave",
        });
      const page = await caller.audit.list({
        workspaceId: ws(params),
        cursor,
        limit: query.limit,
        action: query.action,
      });
      return { items: page.items, nextCursor: page.nextCursor === null ? null : String(page.nextCursor) };
    },
  }),
];
