import type { Metadata } from "next";
import { openApiDocument } from "@lockstep/api";

export const metadata: Metadata = { title: "REST API" };

type TOperation = {
  operationId: string;
  summary: string;
  description: string;
  tags: string[];
  parameters: Array<{ name: string; in: string; required: boolean; description?: string; schema: unknown }>;
  requestBody?: { content: { "application/json": { schema: unknown } } };
  responses: Record<string, { description: string; content?: { "application/json": { schema: unknown } } }>;
};

const METHOD_STYLE: Record<string, string> = {
  get: "bg-sky-100 text-sky-800",
  post: "bg-emerald-100 text-emerald-800",
  put: "bg-amber-100 text-amber-800",
  delete: "bg-rose-100 text-rose-800",
};

function Schema({ label, schema }: { label: string; schema: unknown }) {
  return (
    <details className="mt-2">
      <summary className="cursor-pointer text-sm text-slate-600">{label}</summary>
      <pre className="mt-1 max-h-96 overflow-auto rounded bg-slate-50 p-3 text-xs text-slate-800">
        {JSON.stringify(schema, null, 2)}
      </pre>
    </details>
  );
}

/**
 * The REST API's OpenAPI document, browsable: rendered on the server from the same document
 * /api/v1/openapi.json serves (no script, no CDN).
 */
export default function ApiDocsPage() {
  const doc = openApiDocument("/api/v1") as {
    info: { title: string; description: string };
    tags: Array<{ name: string }>;
    paths: Record<string, Record<string, TOperation>>;
  };
  const operations = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ path, method, op })),
  );
  return (
    <div className="space-y-8">
      <div>
        <h1 className="text-2xl font-semibold text-slate-900">{doc.info.title}</h1>
        <p className="mt-2 max-w-3xl text-sm text-slate-600">{doc.info.description}</p>
        <p className="mt-2 text-sm">
          <a className="text-indigo-700 underline" href="/api/v1/openapi.json">
            /api/v1/openapi.json
          </a>{" "}
          (OpenAPI 3.1) ·{" "}
          <a className="text-indigo-700 underline" href="/settings/tokens">
            Access tokens
          </a>
        </p>
      </div>
      {doc.tags.map(({ name }) => (
        <section key={name} aria-labelledby={`tag-${name}`}>
          <h2 id={`tag-${name}`} className="text-lg font-semibold text-slate-900">
            {name}
          </h2>
          <ul className="mt-3 space-y-3">
            {operations
              .filter(({ op }) => op.tags.includes(name))
              .map(({ path, method, op }) => (
                <li key={op.operationId} id={op.operationId} className="rounded border border-slate-200 bg-white p-4">
                  <div className="flex flex-wrap items-center gap-3">
                    <span
                      className={`rounded px-2 py-0.5 font-mono text-xs font-semibold uppercase ${METHOD_STYLE[method] ?? ""}`}
                    >
                      {method}
                    </span>
                    <code className="break-all text-sm text-slate-900">/api/v1{path}</code>
                    <span className="text-sm text-slate-600">{op.summary}</span>
                  </div>
                  <p className="mt-2 whitespace-pre-line text-xs text-slate-500">{op.description}</p>
                  {op.parameters.length > 0 && (
                    <table className="mt-2 text-left text-xs">
                      <tbody>
                        {op.parameters.map((p) => (
                          <tr key={`${p.in}-${p.name}`}>
                            <td className="pr-3 font-mono">{p.name}</td>
                            <td className="pr-3 text-slate-500">
                              {p.in}
                              {p.required ? ", required" : ""}
                            </td>
                            <td className="text-slate-600">{p.description ?? ""}</td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  )}
                  {op.requestBody && (
                    <Schema label="Request body" schema={op.requestBody.content["application/json"].schema} />
                  )}
                  {Object.entries(op.responses)
                    .filter(([status]) => status.startsWith("2"))
                    .map(([status, r]) =>
                      r.content ? (
                        <Schema
                          key={status}
                          label={`Response ${status}`}
                          schema={r.content["application/json"].schema}
                        />
                      ) : (
                        <p key={status} className="mt-2 text-sm text-slate-600">
                          Response {status}: {r.description}
                        </p>
                      ),
                    )}
                </li>
              ))}
          </ul>
        </section>
      ))}
    </div>
  );
}
