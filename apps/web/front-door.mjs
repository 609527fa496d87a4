// Lockstep's web front door: loaded into the web process before Next.js with `node --import`
// (`npm start`, `pnpm dev`, the Docker image). It sees each request as Node's HTTP server
// receives it, before Next does, and:
//
// 1. states the client's address. Next's route handlers do not expose the TCP peer, and the
//    `X-Forwarded-For` Next fills in keeps whatever the client sent, so any client could name
//    itself anybody. The front door removes every incoming `x-lockstep-client-address` and sets
//    it from the socket. The app uses it for rate limits and the audit log (a trusted proxy's
//    header replaces it only when LOCKSTEP_TRUST_PROXY is set).
// 2. refuses a body larger than LOCKSTEP_MAX_BODY_BYTES (default 1 MiB) by its declared length,
//    before a byte of it is read: 413 and the connection is closed. A body without a declared
//    length (chunked) cannot be judged before it is read, so it is refused with 411: browsers,
//    the tRPC client, next-auth's forms and curl -d all declare a length.
//
// It wraps `http.createServer`, which both `next start` and the standalone server.js call. Plain
// JavaScript without dependencies, so Node can load it before anything else.
import http from "node:http";

export const CLIENT_ADDRESS_HEADER = "x-lockstep-client-address";
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/**
 * LOCKSTEP_MAX_BODY_BYTES, validated: the web refuses to start with a value it cannot use. Read here
 * rather than through src/env.ts because this file runs before any of the app's code is loaded;
 * env.ts declares the same variable with the same default.
 */
// eslint-disable-next-line no-restricted-properties
export function maxBodyBytes(raw = process.env.LOCKSTEP_MAX_BODY_BYTES) {
  if (raw === undefined || raw === "") return DEFAULT_MAX_BODY_BYTES;
  if (!/^[1-9][0-9]*$/.test(raw))
    throw new Error(`LOCKSTEP_MAX_BODY_BYTES must be a positive whole number of bytes (got "${raw.slice(0, 40)}")`);
  return Number(raw);
}

const METHODS_WITH_BODY = new Set(["POST", "PUT", "PATCH", "DELETE"]);

function refuse(res, status, code, message) {
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "content-length": Buffer.byteLength(body),
    "cache-control": "no-store",
    // The body was not read: the connection cannot carry another request.
    connection: "close",
  });
  res.end(body);
}

/**
 * Prepares one request for Next, or answers it. True when Next should handle it.
 * @param {http.IncomingMessage} req
 * @param {http.ServerResponse} res
 * @param {number} maxBody
 */
export function admit(req, res, maxBody) {
  delete req.headers[CLIENT_ADDRESS_HEADER];
  for (let i = req.rawHeaders.length - 2; i >= 0; i -= 2) {
    if (req.rawHeaders[i].toLowerCase() === CLIENT_ADDRESS_HEADER) req.rawHeaders.splice(i, 2);
  }
  const address = req.socket.remoteAddress;
  if (address) {
    req.headers[CLIENT_ADDRESS_HEADER] = address;
    req.rawHeaders.push(CLIENT_ADDRESS_HEADER, address);
  }

  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > maxBody) {
    refuse(res, 413, "PAYLOAD_TOO_LARGE", `The request body is larger than this server accepts (${maxBody} bytes).`);
    return false;
  }
  if (
    declared === undefined &&
    req.headers["transfer-encoding"] !== undefined &&
    METHODS_WITH_BODY.has(req.method ?? "")
  ) {
    refuse(res, 411, "LENGTH_REQUIRED", "Send the request body with a Content-Length header.");
    return false;
  }
  return true;
}

let limit = DEFAULT_MAX_BODY_BYTES;

/** Wraps every request listener given to http.createServer from now on; again only sets the limit. */
export function install(maxBody = maxBodyBytes()) {
  limit = maxBody;
  if (http.createServer.lockstepFrontDoor) return;
  const createServer = http.createServer;
  const wrapped = function (...args) {
    const at = args.findIndex((a) => typeof a === "function");
    if (at >= 0) {
      const listener = args[at];
      args[at] = function (req, res) {
        if (admit(req, res, limit)) return listener.call(this, req, res);
      };
    }
    return createServer.apply(this, args);
  };
  wrapped.lockstepFrontDoor = true;
  http.createServer = wrapped;
}

install();
