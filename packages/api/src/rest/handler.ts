import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { ZodError, type z } from "zod";
import { AppError } from "../errors";
import { createCaller } from "../root";
import type { TContext } from "../trpc";
import { bearerTokenOf } from "./bearer";
import { openApiDocument } from "./openapi";
import { RestProblem } from "./paging";
import { restRoutes, type TRoute } from "./routes";

/** The error body of every refusal: a code (tRPC's, e.g. NOT_FOUND), a message for people, and per-field messages. */
export type TRestError = { error: { code: string; message: string; fields?: Record<string, string> } };

const JSON_HEADERS = {
  "content-type": "application/json; charset=utf-8",
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
};

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function restError(
  status: number,
  code: string,
  message: string,
  fields?: Record<string, string>,
  headers?: Record<string, string>,
): Response {
  const body: TRestError = {
    error: { code, message, ...(fields && Object.keys(fields).length > 0 ? { fields } : {}) },
  };
  return json(status, body, headers);
}

/** Field messages from zod, never the input (which may be a secret value). */
function fieldsOf(error: ZodError, prefix = ""): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const key = [prefix, ...issue.path.map(String)].filter(Boolean).join(".") || "input";
    out[key] ??= issue.message;
  }
  return out;
}

function describe(fields: Record<string, string>): string {
  return Object.entries(fields)
    .map(([field, message]) => `${field}: ${message}`)
    .join("; ");
}

type TMatch = { route: TRoute; params: Record<string, string> };

const compiled = restRoutes.map((route) => {
  const names: string[] = [];
  const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return "([^/]+)";
  });
  return { route, names, regex: new RegExp(`^${pattern}/?$`) };
});

function match(method: string, path: string): { found: TMatch | null; allowed: string[] } {
  const allowed: string[] = [];
  for (const c of compiled) {
    const m = c.regex.exec(path);
    if (!m) continue;
    if (c.route.method !== method) {
      allowed.push(c.route.method);
      continue;
    }
    let params: Record<string, string>;
    try {
      params = Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
    } catch {
      continue;
    }
    return { found: { route: c.route, params }, allowed };
  }
  return { found: null, allowed };
}

function fromError(error: unknown): Response {
  if (error instanceof RestProblem) return restError(error.status, error.code, error.message, error.fields);
  if (error instanceof TRPCError) {
    const cause = error.cause;
    const fields =
      cause instanceof ZodError
        ? fieldsOf(cause)
        : cause instanceof AppError
          ? Object.fromEntries(
              (cause.details ?? []).flatMap((d) =>
                d.field ? [[d.field, d.message]] : d.line !== undefined ? [[`line ${d.line}`, d.message]] : [],
              ),
            )
          : undefined;
    const status = getHTTPStatusCodeFromError(error);
    if (status >= 500) {
      // The message only: causes can carry inputs, and inputs can carry secrets.
      console.error(JSON.stringify({ level: "error", msg: "REST internal error", error: error.message }));
      return restError(500, "INTERNAL_SERVER_ERROR", "Something went wrong on the server; try again.");
    }
    return restError(status, error.code, error.message, fields);
  }
  console.error(
    JSON.stringify({
      level: "error",
      msg: "REST internal error",
      error: error instanceof Error ? error.message : "unknown",
    }),
  );
  return restError(500, "INTERNAL_SERVER_ERROR", "Something went wrong on the server; try again.");
}

function parse<T extends z.ZodType>(schema: T, input: unknown, where: string): z.output<T> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const fields = fieldsOf(result.error);
  throw new RestProblem(400, "BAD_REQUEST", `Invalid ${where}: ${describe(fields)}`, fields);
}

export type TRestOptions = {
  /** Where the API is mounted, e.g. /api/v1. */
  basePath: string;
  /** The API context of this request (identity from its bearer token). Called only for a known route with a bearer token. */
  context: () => Promise<TContext>;
};

/**
 * Serves one REST request. Only `Authorization: Bearer <access token>` authenticates (cookies are
 * ignored, so no page elsewhere can make a signed-in browser call this API); every route calls
 * tRPC procedures through a server-side caller, so scopes, roles and NOT_FOUND-for-other-tenants
 * are the procedures' own. GET {basePath}/openapi.json is public.
 */
export async function handleRest(req: Request, options: TRestOptions): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname.startsWith(options.basePath)
    ? url.pathname.slice(options.basePath.length) || "/"
    : url.pathname;
  if (path === "/openapi.json" && (req.method === "GET" || req.method === "HEAD")) {
    return json(200, openApiDocument(options.basePath), { "cache-control": "public, max-age=60" });
  }
  const { found, allowed } = match(req.method, path);
  if (!found) {
    if (allowed.length > 0)
      return restError(
        405,
        "METHOD_NOT_SUPPORTED",
        `${req.method} is not supported here; use ${allowed.join(", ")}.`,
        undefined,
        { allow: allowed.join(", ") },
      );
    return restError(404, "NOT_FOUND", `No API route ${path}; see ${options.basePath}/openapi.json.`);
  }
  const token = bearerTokenOf(req.headers.get("authorization"));
  if (!token) {
    return restError(
      401,
      "UNAUTHORIZED",
      "Send an access token as Authorization: Bearer <token> (Settings → Access tokens).",
      undefined,
      { "www-authenticate": 'Bearer realm="lockstep"' },
    );
  }
  try {
    const { route, params } = found;
    // Who first (401), then what was sent (400/415), then what the procedures say (403/404/…).
    const ctx = await options.context();
    if (ctx.identity?.via !== "token") {
      return restError(
        401,
        "UNAUTHORIZED",
        "This access token is not valid (unknown, revoked or expired).",
        undefined,
        { "www-authenticate": 'Bearer realm="lockstep", error="invalid_token"' },
      );
    }
    const query = route.query ? parse(route.query, Object.fromEntries(url.searchParams), "query") : {};
    let body: unknown;
    if (route.body) {
      if (!/^application\/json\s*(;|$)/i.test(req.headers.get("content-type") ?? "")) {
        return restError(
          415,
          "UNSUPPORTED_MEDIA_TYPE",
          "Send the request body as JSON (Content-Type: application/json).",
        );
      }
      let raw: unknown;
      try {
        raw = JSON.parse(await req.text());
      } catch {
        return restError(400, "BAD_REQUEST", "The request body is not valid JSON.");
      }
      body = parse(route.body, raw, "body");
    }
    const result = await route.run(createCaller(ctx), { params, query, body });
    if (route.response === null) return new Response(null, { status: 204, headers: { "cache-control": "no-store" } });
    return json(route.status ?? 200, result);
  } catch (error) {
    return fromError(error);
  }
}
