import { z } from "zod";
import { requiredScope } from "@lockstep/auth";
import { appRouter } from "../root";
import { restRoutes, type TRoute } from "./routes";

type TJsonSchema = Record<string, unknown>;

/** JSON Schema (2020-12, OpenAPI 3.1's dialect) of a zod schema; dates travel as ISO 8601 strings. */
function jsonSchema(schema: z.ZodType, io: "input" | "output"): TJsonSchema {
  const out = z.toJSONSchema(schema, {
    io,
    target: "draft-2020-12",
    unrepresentable: "any",
    override: (ctx) => {
      const def = (ctx.zodSchema as unknown as { _zod: { def: { type: string } } })._zod.def;
      if (def.type === "date") {
        ctx.jsonSchema.type = "string";
        ctx.jsonSchema.format = "date-time";
      }
    },
  }) as TJsonSchema;
  delete out.$schema;
  return out;
}

const ERROR_SCHEMA: TJsonSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: {
          type: "string",
          description: "UNAUTHORIZED, FORBIDDEN, NOT_FOUND, CONFLICT, BAD_REQUEST, TOO_MANY_REQUESTS, …",
        },
        message: { type: "string" },
        fields: {
          type: "object",
          additionalProperties: { type: "string" },
          description: "Per-field messages naming the rule broken (never the value sent).",
        },
      },
    },
  },
};

const errorRef = (description: string) => ({
  description,
  content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
});

type TProcedure = {
  _def: {
    type: "query" | "mutation" | "subscription";
    meta?: { instanceAdmin?: true; permission?: string; orgPermission?: string };
  };
};

/** Which token scope and workspace permission each route needs: those of the procedures it calls. */
function accessOf(route: TRoute): { scopes: string[]; permissions: string[] } {
  const procedures = appRouter._def.procedures as unknown as Record<string, TProcedure>;
  const scopes = new Set<string>();
  const permissions = new Set<string>();
  for (const path of route.procedures) {
    const p = procedures[path];
    if (!p) throw new Error(`REST route ${route.operationId} names an unknown procedure ${path}`);
    scopes.add(requiredScope({ path, type: p._def.type, instanceAdmin: p._def.meta?.instanceAdmin === true }));
    const permission = p._def.meta?.permission ?? p._def.meta?.orgPermission;
    if (permission) permissions.add(permission);
  }
  return { scopes: [...scopes], permissions: [...permissions] };
}

function operation(route: TRoute) {
  const parameters: TJsonSchema[] = [];
  for (const name of route.path.match(/\{(\w+)\}/g) ?? []) {
    const bare = name.slice(1, -1);
    parameters.push({ name: bare, in: "path", required: true, schema: { type: "string", format: "uuid" } });
  }
  if (route.query) {
    for (const [name, schema] of Object.entries(route.query.shape as Record<string, z.ZodType>)) {
      const s = jsonSchema(schema, "input");
      const { description, ...rest } = s;
      parameters.push({
        name,
        in: "query",
        required: !schema.safeParse(undefined).success,
        schema: rest,
        ...(description ? { description } : {}),
      });
    }
  }
  const { scopes, permissions } = accessOf(route);
  const success =
    route.response === null
      ? { "204": { description: "Done (no content)." } }
      : {
          [String(route.status ?? 200)]: {
            description: "OK",
            content: { "application/json": { schema: jsonSchema(route.response, "output") } },
          },
        };
  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [
      route.description,
      `Token scope: \`${scopes.join("` or `")}\`.`,
      permissions.length ? `Workspace/organization permission: \`${permissions.join("` or `")}\`.` : null,
      `Calls: ${route.procedures.map((p) => `\`${p}\``).join(", ")}.`,
    ]
      .filter(Boolean)
      .join("\n\n"),
    tags: [route.tag],
    "x-lockstep-scopes": scopes,
    parameters,
    ...(route.body
      ? {
          requestBody: { required: true, content: { "application/json": { schema: jsonSchema(route.body, "input") } } },
        }
      : {}),
    responses: {
      ...success,
      "400": errorRef("Invalid input: `fields` names each field and rule."),
      "401": errorRef("No valid access token."),
      "403": errorRef("The token lacks the scope, or your role lacks the permission."),
      "404": errorRef("Absent, or in a tenant you cannot see."),
      ...(route.method !== "GET"
        ? { "409": errorRef("Conflicts with the current state (a duplicate name, a run holding it).") }
        : {}),
    },
  };
}

let cached: { basePath: string; doc: TJsonSchema } | null = null;

/** The OpenAPI 3.1 document of the REST API, generated from the routes' zod schemas. */
export function openApiDocument(basePath = "/api/v1"): TJsonSchema {
  if (cached?.basePath === basePath) return cached.doc;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of restRoutes) {
    (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  const doc: TJsonSchema = {
    openapi: "3.1.0",
    info: {
      title: "Lockstep REST API",
      version: "1.0.0",
      description:
        "Scripts' API to Lockstep, over the same permission checks as the web app. Authenticate with `Authorization: Bearer <access token>` (Settings → Access tokens). " +
        "Secret values are write-only: send `value` (sealed by the server on receipt; rely on TLS) or `sealedValue` (sealed client-side); no answer ever contains one. " +
        "Lists are cursor-paged: pass `nextCursor` back as `cursor`. The `/pipeline-secrets` routes follow Seqera Platform's shapes; without `workspaceId` they are your user secrets.",
    },
    servers: [{ url: basePath }],
    security: [{ bearer: [] }],
    tags: ["pipeline-secrets", "account", "orgs", "workspaces", "compute-envs", "pipelines", "runs", "audit"].map(
      (name) => ({ name }),
    ),
    paths,
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A Lockstep access token (lst_…)." } },
      schemas: { Error: ERROR_SCHEMA },
    },
  };
  cached = { basePath, doc };
  return doc;
}
