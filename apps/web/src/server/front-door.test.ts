import http, { type IncomingMessage } from "node:http";
import { connect, type AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER, install, maxBodyBytes } from "../../front-door.mjs";

// The real module, wrapping this process's http.createServer as it wraps Next's (a 1 KiB limit here).
// Next calls it as a property of the module object (require("http").createServer), as here.
install(1024);
let seen: IncomingMessage[] = [];
const server = http.createServer((req, res) => {
  seen.push(req);
  let bytes = 0;
  req.on("data", (chunk: Buffer) => (bytes += chunk.length));
  req.on("end", () => res.end(JSON.stringify({ address: req.headers[CLIENT_ADDRESS_HEADER], bytes })));
});
let port = 0;
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** A raw HTTP/1.1 exchange from `localAddress` (Linux routes all of 127/8 to loopback). */
function exchange(head: string, body = "", localAddress = "127.0.0.1"): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, localAddress }, () => socket.end(head + body));
    let answer = "";
    socket.on("data", (d) => (answer += d.toString()));
    socket.on("end", () => resolve(answer));
    socket.on("error", reject);
  });
}

describe("front door", () => {
  it("states the socket's address and removes any copy the client sent", async () => {
    seen = [];
    const answer = await exchange(
      `GET / HTTP/1.1\r\nHost: x\r\n${CLIENT_ADDRESS_HEADER}: 203.0.113.1\r\nX-Lockstep-Client-Address: 203.0.113.2\r\nConnection: close\r\n\r\n`,
      "",
      "127.0.0.2",
    );
    expect(answer).toContain('"address":"127.0.0.2"');
    expect(seen[0]!.rawHeaders.filter((h) => h.toLowerCase() === CLIENT_ADDRESS_HEADER)).toHaveLength(1);
    expect(seen[0]!.rawHeaders).not.toContain("203.0.113.1");
  });

  it("refuses a declared body over the limit before reading it, and one without a declared length", async () => {
    seen = [];
    const tooBig = await exchange(
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 52428800\r\n\r\n`,
      "x".repeat(2048),
    );
    expect(tooBig).toMatch(/^HTTP\/1\.1 413 /);
    expect(tooBig.toLowerCase()).toContain("connection: close");
    expect(tooBig).toContain("PAYLOAD_TOO_LARGE");
    const chunked = await exchange(
      `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n`,
      "5\r\nhello\r\n0\r\n\r\n",
    );
    expect(chunked).toMatch(/^HTTP\/1\.1 411 /);
    // The app never saw either.
    expect(seen).toHaveLength(0);
  });

  it("draws the line at the limit exactly: 1024 bytes pass (positive control), 1025 do not", async () => {
    const answer = await exchange(
      `POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1024\r\nConnection: close\r\n\r\n`,
      "y".repeat(1024),
    );
    expect(answer).toMatch(/^HTTP\/1\.1 200 /);
    expect(answer).toContain('"bytes":1024');
    const over = await exchange(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1025\r\n\r\n`, "y".repeat(1025));
    expect(over).toMatch(/^HTTP\/1\.1 413 /);
  });

  it("reads LOCKSTEP_MAX_BODY_BYTES strictly", () => {
    expect(maxBodyBytes(undefined)).toBe(1024 * 1024);
    expect(maxBodyBytes("2048")).toBe(2048);
    for (const bad of ["0", "-1", "1e6", "lots"]) expect(() => maxBodyBytes(bad)).toThrow("LOCKSTEP_MAX_BODY_BYTES");
  });
});
