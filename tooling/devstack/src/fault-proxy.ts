import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { StartupError } from "./log";

export type TFaultKind = "throttling" | "500" | "503";

export type TFaultStats = {
  requests: number;
  forwarded: number;
  /** Answered with a failure without reaching the target. */
  injectedBefore: number;
  /** Reached the target, which acted on it, but the client got a failure instead of its answer. */
  injectedAfter: number;
  byKind: Record<TFaultKind, number>;
  /** Requests refused for exceeding the bounds (body size, concurrency). */
  refused: number;
  /** Requests per operation: the `x-amz-target` header (JSON protocols) or `METHOD /path` (REST). */
  operations: Record<string, number>;
};

export type TFaultProxy = { endpoint: string; stats: () => TFaultStats; stop: () => Promise<void> };

const MAX_BODY_BYTES = 1024 * 1024;
const MAX_IN_FLIGHT = 64;
const UPSTREAM_TIMEOUT_MS = 30_000;
const LOOPBACK = new Set(["127.0.0.1", "localhost", "[::1]", "::1"]);
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "transfer-encoding",
  "upgrade",
  "te",
  "trailer",
  "host",
  "content-length",
]);

/**
 * A loopback HTTP proxy in front of an emulator (moto) that makes a deterministic share of
 * requests fail the way AWS fails: a 400 ThrottlingException, a 500 or a 503. Half the injected
 * failures answer before forwarding (nothing happened); the other half forward, let the target
 * act, and drop its answer — the case that makes idempotent provisioning and cleanup matter.
 *
 * Which requests fail depends only on `seed` and the order requests arrive, so a failing run can
 * be repeated. Bounded: 1 MiB bodies, 64 requests in flight, 30 s per upstream call.
 */
export async function startFaultProxy(opts: {
  target: string;
  failureRate: number;
  seed?: number;
  /**
   * Called with each request before it is forwarded (and before any fault), e.g. to look at the
   * emulator's state at the moment a call arrives. Tests only: it sees request bodies.
   */
  observe?: (operation: string, body: Buffer) => Promise<void>;
  /** Added to every request before it is forwarded: a cloud's round trip, which a loopback emulator lacks. */
  latencyMs?: number;
}): Promise<TFaultProxy> {
  const target = new URL(opts.target);
  if (target.protocol !== "http:" || !LOOPBACK.has(target.hostname)) {
    throw new StartupError(`the fault proxy only forwards to http:// on loopback, not ${opts.target}`);
  }
  if (!(opts.failureRate >= 0 && opts.failureRate <= 1)) throw new StartupError("failureRate must be between 0 and 1");
  const random = mulberry32(opts.seed ?? 1);
  const kinds: TFaultKind[] = ["throttling", "500", "503"];
  const stats: TFaultStats = {
    requests: 0,
    forwarded: 0,
    injectedBefore: 0,
    injectedAfter: 0,
    byKind: { throttling: 0, "500": 0, "503": 0 },
    refused: 0,
    operations: {},
  };
  let inFlight = 0;
  let injected = 0;

  const server = createServer((req, res) => {
    stats.requests += 1;
    const amzTarget = req.headers["x-amz-target"];
    const operation = typeof amzTarget === "string" ? amzTarget : `${req.method} ${(req.url ?? "/").split("?")[0]}`;
    stats.operations[operation] = (stats.operations[operation] ?? 0) + 1;
    if (inFlight >= MAX_IN_FLIGHT) {
      stats.refused += 1;
      req.resume();
      return answerFailure(res, "503");
    }
    inFlight += 1;
    res.once("close", () => (inFlight -= 1));
    // Decide now, in arrival order, so the schedule depends only on the seed.
    const fail = random() < opts.failureRate;
    const kind = kinds[Math.floor(random() * kinds.length)]!;
    const after = fail && injected++ % 2 === 1;
    void handle(req, res, operation, fail ? { kind, after } : null).catch(() => {
      if (!res.headersSent) answerFailure(res, "500");
      else res.destroy();
    });
  });

  async function handle(
    req: IncomingMessage,
    res: ServerResponse,
    operation: string,
    fault: { kind: TFaultKind; after: boolean } | null,
  ) {
    const body = await readBody(req);
    if (body === null) {
      stats.refused += 1;
      res.writeHead(413, { "content-type": "text/plain" }).end("request body too large for the fault proxy\n");
      return;
    }
    await opts.observe?.(operation, body);
    if (opts.latencyMs) await new Promise((r) => setTimeout(r, opts.latencyMs));
    if (fault && !fault.after) {
      stats.injectedBefore += 1;
      stats.byKind[fault.kind] += 1;
      return answerFailure(res, fault.kind);
    }
    const upstream = await forward(target, req, body);
    stats.forwarded += 1;
    if (fault) {
      stats.injectedAfter += 1;
      stats.byKind[fault.kind] += 1;
      return answerFailure(res, fault.kind);
    }
    res.writeHead(upstream.status, upstream.headers).end(upstream.body);
  }

  const sockets = new Set<Socket>();
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: 0, host: "127.0.0.1" }, () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats: () => structuredClone(stats),
    stop: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.once("end", () => resolve(tooLarge ? null : Buffer.concat(chunks)));
    req.once("error", reject);
  });
}

type TUpstream = { status: number; headers: Record<string, string | string[]>; body: Buffer };

function forward(target: URL, req: IncomingMessage, body: Buffer): Promise<TUpstream> {
  return new Promise((resolve, reject) => {
    const headers = copyHeaders(req.headers);
    headers["content-length"] = String(body.length);
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers,
        timeout: UPSTREAM_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.once("end", () => {
          const out = copyHeaders(res.headers);
          const payload = Buffer.concat(chunks);
          out["content-length"] = String(payload.length);
          resolve({ status: res.statusCode ?? 502, headers: out, body: payload });
        });
        res.once("error", reject);
      },
    );
    upstream.once("timeout", () => upstream.destroy(new Error("upstream timed out")));
    upstream.once("error", reject);
    upstream.end(body);
  });
}

function copyHeaders(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value;
  return out;
}

/** What AWS's JSON protocols send: the error type in `x-amzn-errortype` and in the body's `__type`. */
function answerFailure(res: ServerResponse, kind: TFaultKind) {
  const [status, type, message] =
    kind === "throttling"
      ? [400, "ThrottlingException", "Rate exceeded"]
      : kind === "500"
        ? [
            500,
            "InternalFailure",
            "The request processing has failed because of an unknown error, exception or failure.",
          ]
        : [503, "ServiceUnavailable", "The request has failed due to a temporary failure of the server."];
  const body = JSON.stringify({ __type: type, message });
  res
    .writeHead(status, {
      "content-type": "application/x-amz-json-1.1",
      "x-amzn-errortype": type,
      "x-amzn-requestid": `fault-proxy-${Date.now().toString(36)}`,
      "content-length": String(Buffer.byteLength(body)),
    })
    .end(body);
}

/** A small seeded PRNG (mulberry32): the same seed gives the same failure schedule. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
