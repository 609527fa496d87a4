/**
 * Leak scanning for "secrets stay secret": collect everything the app sent, stored or logged, and
 * look for recognisable marker values in it — plain, and in the encodings a value commonly takes
 * on its way (base64 at any byte alignment, base64url, URL encoding, hex, JSON escapes).
 */
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { BrowserContext, Page, Request, Response, Route, WebSocket } from "@playwright/test";
import { Redis } from "ioredis";
import postgres from "postgres";

/** One place a marker could hide: a surface ("response", "database", ...), where in it, and its content. */
export type THaystack = { surface: string; where: string; text: string | Buffer };

export type TFinding = {
  marker: string;
  form: string;
  surface: string;
  where: string;
  offset: number;
  excerpt: string;
};

// ---------------------------------------------------------------------------------------------
// Marker forms and the search

export type TForm = { form: string; needle: string; caseInsensitive: boolean };

/**
 * The base64 characters that depend only on `bytes` when they start `shift` bytes into the encoded
 * data (0, 1 or 2): a value embedded in a larger base64 blob shows up as one of these three.
 */
function base64Core(bytes: Buffer, shift: number): string {
  const padded = Buffer.concat([Buffer.alloc(shift, 0), bytes]);
  const encoded = padded.toString("base64").replace(/=+$/, "");
  const total = padded.length * 8;
  const chars: string[] = [];
  for (let i = 0; i < encoded.length; i++) {
    // Character i carries bits [6i, 6i + 6): keep it when none come from the filler or from what follows.
    if (6 * i >= shift * 8 && 6 * i + 6 <= total) chars.push(encoded[i]!);
  }
  return chars.join("");
}

/** Every form a marker is searched in. Needles shorter than 8 characters are dropped (too unspecific). */
export function markerForms(marker: string): TForm[] {
  const bytes = Buffer.from(marker, "utf8");
  const forms: TForm[] = [
    { form: "plain", needle: marker, caseInsensitive: false },
    { form: "url-encoded", needle: encodeURIComponent(marker), caseInsensitive: true },
    { form: "form-encoded", needle: new URLSearchParams({ x: marker }).toString().slice(2), caseInsensitive: true },
    { form: "json-escaped", needle: JSON.stringify(marker).slice(1, -1), caseInsensitive: false },
    { form: "hex", needle: bytes.toString("hex"), caseInsensitive: true },
  ];
  for (let shift = 0; shift < 3; shift++) {
    const core = base64Core(bytes, shift);
    forms.push({ form: `base64@${shift}`, needle: core, caseInsensitive: false });
    forms.push({
      form: `base64url@${shift}`,
      needle: core.replaceAll("+", "-").replaceAll("/", "_"),
      caseInsensitive: false,
    });
  }
  // The full, padded encodings too (the cores above are substrings of them, but reported names matter).
  forms.push({ form: "base64", needle: bytes.toString("base64"), caseInsensitive: false });
  forms.push({ form: "base64url", needle: bytes.toString("base64url"), caseInsensitive: false });
  // Identical needles are searched once, under all their names ("base64@0+base64url@0").
  const byNeedle = new Map<string, TForm>();
  for (const f of forms) {
    if (f.needle.length < 8) continue;
    const key = `${f.caseInsensitive ? "i" : "s"}:${f.caseInsensitive ? f.needle.toLowerCase() : f.needle}`;
    const seen = byNeedle.get(key);
    if (seen) seen.form = `${seen.form}+${f.form}`;
    else byNeedle.set(key, { ...f });
  }
  return [...byNeedle.values()];
}

/**
 * Looks for every marker, in every form, in every haystack. Buffers are searched byte for byte
 * (needles as UTF-8); strings as they are. Returns one finding per marker, haystack and place (the
 * first occurrence of each form; forms that hit the same place are named together).
 */
export function findMarkers(haystacks: Iterable<THaystack>, markers: readonly string[]): TFinding[] {
  const findings: TFinding[] = [];
  const formsOf = markers.map((marker) => ({ marker, forms: markerForms(marker) }));
  for (const hay of haystacks) {
    const binary = Buffer.isBuffer(hay.text);
    // A Buffer becomes a latin1 string: one character per byte, so UTF-8 needles match byte for byte.
    const text = binary ? (hay.text as Buffer).toString("latin1") : (hay.text as string);
    let lower: string | null = null;
    for (const { marker, forms } of formsOf) {
      // One finding per place: a hit that several forms share (plain and URL-encoded) is merged.
      const atOffset = new Map<number, TFinding>();
      for (const f of forms) {
        const needle = binary ? Buffer.from(f.needle, "utf8").toString("latin1") : f.needle;
        let offset: number;
        if (f.caseInsensitive) {
          lower ??= text.toLowerCase();
          offset = lower.indexOf(needle.toLowerCase());
        } else {
          offset = text.indexOf(needle);
        }
        if (offset < 0) continue;
        const same = atOffset.get(offset);
        if (same) {
          same.form = `${same.form}+${f.form}`;
          continue;
        }
        const excerpt = text.slice(Math.max(0, offset - 60), offset + needle.length + 60).replace(/[^\x20-\x7e]/g, "·");
        const finding = { marker, form: f.form, surface: hay.surface, where: hay.where, offset, excerpt };
        atOffset.set(offset, finding);
        findings.push(finding);
      }
    }
  }
  return findings;
}

/** A readable list of findings for assertion messages. */
export function describeFindings(findings: TFinding[]): string {
  return findings
    .map((f) => `${f.surface} › ${f.where} @${f.offset}: ${f.form} of ${f.marker} …${f.excerpt}…`)
    .join("\n");
}

/** Whether `needle` occurs plainly in any haystack (for positive controls). */
export function contains(haystacks: Iterable<THaystack>, needle: string): boolean {
  const asLatin1 = Buffer.from(needle, "utf8").toString("latin1");
  for (const hay of haystacks) {
    if (Buffer.isBuffer(hay.text) ? hay.text.toString("latin1").includes(asLatin1) : hay.text.includes(needle))
      return true;
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// HTTP traffic

export type TExchange = {
  method: string;
  url: string;
  resourceType: string;
  requestBody: string | null;
  status: number | null;
  responseBody: string | null;
  /** Why the response body is missing: a redirect, a failed request, or the browser no longer had it. */
  bodyError: string | null;
  /** Set when the request failed or was aborted by the page (a cancelled query, a navigation). */
  failure: string | null;
  /** The body was read from the server by the recorder itself, not from the browser's cache. */
  intercepted: boolean;
};

export type TTraffic = {
  exchanges: TExchange[];
  webSocketFrames: Array<{ url: string; direction: "sent" | "received"; payload: string }>;
  /** Waits until every response body that is being read has been read. */
  settle: () => Promise<void>;
  /** Waits until no request is in flight and no body is being read, for `quietMs` in a row. */
  idle: (quietMs?: number, timeoutMs?: number) => Promise<void>;
  stop: () => Promise<void>;
  /** Request URLs, headers and bodies, and response headers and bodies, as haystacks. */
  haystacks: () => THaystack[];
};

/**
 * Records every request the page's browser context makes (documents, RSC and fetch/XHR calls,
 * scripts, everything): URL, headers and post body of each request, and status, headers and body of
 * each response. Bodies are read as soon as the response arrives, before a navigation can evict them.
 *
 * With `intercept`, requests to matching URLs are made by the recorder on the browser's behalf
 * (`route.fetch`, redirects not followed) and handed to the browser unchanged: their bodies are
 * recorded exactly as the server sent them, even when the page aborts the request (Next.js
 * prefetches, cancelled queries) and the browser would never have kept them.
 */
export async function recordTraffic(page: Page, opts: { intercept?: (url: URL) => boolean } = {}): Promise<TTraffic> {
  const context: BrowserContext = page.context();
  const exchanges: TExchange[] = [];
  const byRequest = new Map<Request, TExchange>();
  const requestOf = new Map<TExchange, Request>();
  const headers = new Map<Request, { request: Record<string, string>; response?: Record<string, string> }>();
  const webSocketFrames: TTraffic["webSocketFrames"] = [];
  const pending = new Set<Promise<void>>();
  const inFlight = new Set<Request>();

  const exchangeOf = (request: Request): TExchange => {
    let exchange = byRequest.get(request);
    if (!exchange) {
      let requestBody: string | null = null;
      try {
        requestBody = request.postDataBuffer()?.toString("utf8") ?? null;
      } catch (error) {
        requestBody = `<<unreadable request body: ${String(error)}>>`;
      }
      exchange = {
        method: request.method(),
        url: request.url(),
        resourceType: request.resourceType(),
        requestBody,
        status: null,
        responseBody: null,
        bodyError: null,
        failure: null,
        intercepted: false,
      };
      byRequest.set(request, exchange);
      requestOf.set(exchange, request);
      exchanges.push(exchange);
    }
    return exchange;
  };

  const track = (work: Promise<void>) => {
    pending.add(work);
    void work.finally(() => pending.delete(work));
  };

  const onRequest = (request: Request) => {
    exchangeOf(request);
    inFlight.add(request);
    track(
      request
        .allHeaders()
        .then((h) => void headers.set(request, { ...headers.get(request), request: h }))
        .catch(() => {}),
    );
  };
  const onResponse = (response: Response) => {
    const exchange = exchangeOf(response.request());
    exchange.status = response.status();
    track(
      (async () => {
        try {
          const h = await response.allHeaders();
          headers.set(response.request(), { request: headers.get(response.request())?.request ?? {}, response: h });
        } catch {
          /* headers are a bonus */
        }
        if (exchange.intercepted) return;
        if (exchange.status !== null && exchange.status >= 300 && exchange.status < 400) {
          exchange.bodyError = `redirect ${exchange.status}`;
          return;
        }
        try {
          exchange.responseBody = (await response.body()).toString("utf8");
        } catch (error) {
          exchange.bodyError = error instanceof Error ? error.message.split("\n")[0]! : String(error);
        }
      })(),
    );
  };
  const onRequestFailed = (request: Request) => {
    inFlight.delete(request);
    const exchange = exchangeOf(request);
    exchange.failure = request.failure()?.errorText ?? "unknown";
  };
  const onRequestFinished = (request: Request) => void inFlight.delete(request);
  const onWebSocket = (ws: WebSocket) => {
    ws.on("framesent", (frame) =>
      webSocketFrames.push({ url: ws.url(), direction: "sent", payload: String(frame.payload) }),
    );
    ws.on("framereceived", (frame) =>
      webSocketFrames.push({ url: ws.url(), direction: "received", payload: String(frame.payload) }),
    );
  };

  const intercept = opts.intercept;
  const routeMatcher = (url: URL) => intercept?.(url) ?? false;
  const onRoute = async (route: Route) => {
    const exchange = exchangeOf(route.request());
    exchange.intercepted = true;
    let done!: () => void;
    track(new Promise<void>((r) => (done = r)));
    try {
      const response = await route.fetch({ maxRedirects: 0 });
      let body: Buffer | undefined;
      try {
        body = await response.body();
        exchange.responseBody = body.toString("utf8");
      } catch (error) {
        exchange.bodyError = `intercepted body unreadable: ${error instanceof Error ? error.message.split("\n")[0]! : String(error)}`;
      }
      exchange.status = response.status();
      // The page may have given up on it meanwhile; then there is nobody to hand it to.
      await route.fulfill({ response, body }).catch(() => {});
    } catch (error) {
      exchange.intercepted = false;
      exchange.bodyError = `intercepted fetch failed: ${error instanceof Error ? error.message.split("\n")[0]! : String(error)}`;
      await route.continue().catch(() => {});
    } finally {
      done();
    }
  };
  if (intercept) await context.route(routeMatcher, onRoute);

  context.on("request", onRequest);
  context.on("response", onResponse);
  context.on("requestfailed", onRequestFailed);
  context.on("requestfinished", onRequestFinished);
  page.on("websocket", onWebSocket);

  const settle = async () => {
    while (pending.size > 0) await Promise.allSettled([...pending]);
  };

  return {
    exchanges,
    webSocketFrames,
    settle,
    idle: async (quietMs = 500, timeoutMs = 15_000) => {
      const deadline = Date.now() + timeoutMs;
      let quietSince = Date.now();
      while (Date.now() < deadline) {
        if (inFlight.size > 0 || pending.size > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= quietMs) return settle();
        await new Promise((r) => setTimeout(r, 50));
      }
      await settle();
    },
    stop: async () => {
      if (intercept) await context.unroute(routeMatcher, onRoute);
      context.off("request", onRequest);
      context.off("response", onResponse);
      context.off("requestfailed", onRequestFailed);
      context.off("requestfinished", onRequestFinished);
      page.off("websocket", onWebSocket);
    },
    haystacks: () => {
      const out: THaystack[] = [];
      exchanges.forEach((e, i) => {
        const label = `#${i} ${e.method} ${e.url} (${e.resourceType}, ${e.status ?? "no response"})`;
        const request = requestOf.get(e);
        const h = request ? headers.get(request) : undefined;
        out.push({
          surface: "request",
          where: `${label} url+headers`,
          text: `${e.url}\n${JSON.stringify(h?.request ?? {})}`,
        });
        if (e.requestBody !== null) out.push({ surface: "request body", where: label, text: e.requestBody });
        if (h?.response) out.push({ surface: "response headers", where: label, text: JSON.stringify(h.response) });
        if (e.responseBody !== null) out.push({ surface: "response body", where: label, text: e.responseBody });
      });
      webSocketFrames.forEach((f, i) =>
        out.push({ surface: `websocket ${f.direction}`, where: `#${i} ${f.url}`, text: f.payload }),
      );
      return out;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Database

export type TDatabaseDump = { haystacks: THaystack[]; tables: Array<{ schema: string; table: string; rows: number }> };

/**
 * Every row of every table in every non-system schema (public, drizzle's migrations schema, and
 * any other), each row as Postgres' own text form of the whole record.
 */
export async function dumpDatabase(url: string): Promise<TDatabaseDump> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const tables = await sql<Array<{ schema: string; table: string }>>`
      select table_schema as schema, table_name as table
      from information_schema.tables
      where table_type = 'BASE TABLE'
        and table_schema not in ('pg_catalog', 'information_schema')
        and table_schema not like 'pg\_%'
      order by table_schema, table_name`;
    const haystacks: THaystack[] = [];
    const counts: TDatabaseDump["tables"] = [];
    for (const { schema, table } of tables) {
      const ident = (name: string) => `"${name.replaceAll('"', '""')}"`;
      const rows = await sql.unsafe<Array<{ row: string }>>(
        `select t::text as row from ${ident(schema)}.${ident(table)} t`,
      );
      rows.forEach((r, i) =>
        haystacks.push({ surface: "database", where: `${schema}.${table} row ${i}`, text: r.row }),
      );
      counts.push({ schema, table, rows: rows.length });
    }
    return { haystacks, tables: counts };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// ---------------------------------------------------------------------------------------------
// Redis

export type TRedisDump = { haystacks: THaystack[]; keys: Array<{ db: number; key: string; type: string }> };

/** Every key of every logical database, with its full contents read by type. */
export async function dumpRedis(url: string): Promise<TRedisDump> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  client.on("error", () => {});
  await client.connect();
  try {
    const config = (await client.config("GET", "databases")) as string[];
    const databases = Number(config[1] ?? 16);
    const haystacks: THaystack[] = [];
    const keys: TRedisDump["keys"] = [];
    for (let db = 0; db < databases; db++) {
      await client.select(db);
      let cursor = "0";
      const names: Buffer[] = [];
      do {
        const [next, batch] = await client.scanBuffer(cursor, "COUNT", 1000);
        cursor = next.toString();
        names.push(...batch);
      } while (cursor !== "0");
      for (const key of names) {
        const type = await client.type(key);
        const parts: Buffer[] = [];
        switch (type) {
          case "string":
            parts.push((await client.getBuffer(key)) ?? Buffer.alloc(0));
            break;
          case "hash":
            parts.push(
              ...(await client
                .hgetallBuffer(key)
                .then((h) => Object.entries(h).flatMap(([f, v]) => [Buffer.from(f), v]))),
            );
            break;
          case "list":
            parts.push(...(await client.lrangeBuffer(key, 0, -1)));
            break;
          case "set":
            parts.push(...(await client.smembersBuffer(key)));
            break;
          case "zset":
            parts.push(...(await client.zrangeBuffer(key, 0, -1, "WITHSCORES")));
            break;
          case "stream":
            for (const [id, fields] of await client.xrangeBuffer(key, "-", "+")) parts.push(id, ...fields);
            break;
          case "none":
            continue; // expired between SCAN and TYPE
          default:
            // Modules' types: their serialized form is the best there is.
            parts.push((await client.dumpBuffer(key)) ?? Buffer.alloc(0));
        }
        const name = key.toString("utf8");
        keys.push({ db, key: name, type });
        haystacks.push({
          surface: "redis",
          where: `db${db} ${type} ${name}`,
          text: Buffer.concat([key, Buffer.from("\n"), ...parts.flatMap((p) => [p, Buffer.from("\n")])]),
        });
      }
    }
    await client.select(0);
    return { haystacks, keys };
  } finally {
    client.disconnect();
  }
}

// ---------------------------------------------------------------------------------------------
// Files: logs, Redis' append-only file, Postgres' data directory

/** Every regular file under `dir` (recursively) as raw bytes. */
export function readFilesUnder(
  dir: string,
  surface: string,
  filter: (path: string) => boolean = () => true,
): THaystack[] {
  if (!existsSync(dir)) return [];
  const out: THaystack[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile() && filter(path)) {
        try {
          out.push({ surface, where: relative(dir, path), text: readFileSync(path) });
        } catch {
          /* a file that vanished or is unreadable (postmaster.pid during shutdown, sockets) */
        }
      }
    }
  };
  if (statSync(dir).isDirectory()) walk(dir);
  return out;
}

/** The web and worker output (`<dataDir>/logs/*.log`), one haystack per line, numbered from 1. */
export function readLogs(dataDir: string): THaystack[] {
  const dir = join(dataDir, "logs");
  if (!existsSync(dir)) return [];
  const out: THaystack[] = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    if (!statSync(path).isFile()) continue;
    readFileSync(path, "utf8")
      .split("\n")
      .forEach((line, i) => out.push({ surface: "log", where: `${name}:${i + 1}`, text: line }));
  }
  return out;
}
