import { describe, expect, it } from "vitest";
import { CLIENT_ADDRESS_HEADER as FRONT_DOOR_HEADER } from "../../front-door.mjs";
import { CLIENT_ADDRESS_HEADER, clientAddress } from "./client-address";

const h = (entries: Record<string, string>) => new Headers(entries);

describe("client address", () => {
  it("is the socket's, as the front door states it, when no proxy is trusted; X-Forwarded-For is ignored", () => {
    expect(CLIENT_ADDRESS_HEADER).toBe(FRONT_DOOR_HEADER);
    expect(clientAddress(h({ [CLIENT_ADDRESS_HEADER]: "192.0.2.10", "x-forwarded-for": "198.51.100.1" }), false)).toBe(
      "192.0.2.10",
    );
    expect(clientAddress(h({ [CLIENT_ADDRESS_HEADER]: "::ffff:192.0.2.10" }), false)).toBe("192.0.2.10");
    expect(clientAddress(h({ [CLIENT_ADDRESS_HEADER]: "2001:db8::7" }), false)).toBe("2001:db8::7");
  });

  it("is the trusted proxy's last X-Forwarded-For entry (the one it appended), not the client's own claims", () => {
    const headers = h({ [CLIENT_ADDRESS_HEADER]: "10.0.0.2", "x-forwarded-for": "203.0.113.99, 198.51.100.7" });
    expect(clientAddress(headers, true)).toBe("198.51.100.7");
    // The proxy sent none, or garbage: the socket's.
    expect(clientAddress(h({ [CLIENT_ADDRESS_HEADER]: "10.0.0.2" }), true)).toBe("10.0.0.2");
    expect(clientAddress(h({ [CLIENT_ADDRESS_HEADER]: "10.0.0.2", "x-forwarded-for": "unknown" }), true)).toBe(
      "10.0.0.2",
    );
  });

  it("is unknown without the front door (never a shared placeholder)", () => {
    expect(clientAddress(h({}), false)).toBeNull();
    expect(clientAddress(h({ "x-forwarded-for": "198.51.100.7" }), false)).toBeNull();
    expect(clientAddress(h({ [CLIENT_ADDRESS_HEADER]: "not-an-address" }), false)).toBeNull();
  });
});
