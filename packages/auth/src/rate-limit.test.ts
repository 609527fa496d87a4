import { describe, expect, it } from "vitest";
import { backoffMs, clientKey, SIGN_IN_RULES } from "./rate-limit";

describe("client keys", () => {
  it("keep IPv4 addresses apart and fold IPv4-mapped IPv6 into them", () => {
    expect(clientKey("192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(clientKey("192.0.2.2")).not.toBe(clientKey("192.0.2.1"));
  });

  it("count an IPv6 address as its /64, however it is written", () => {
    expect(clientKey("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:0DB8:0001:0002:ffff:ffff:ffff:ffff")).toBe("2001:db8:1:2::/64");
    expect(clientKey("2001:db8::1")).toBe("2001:db8:0:0::/64");
    expect(clientKey("::1")).toBe("0:0:0:0::/64");
    expect(clientKey("2001:db8:1:3::1")).not.toBe(clientKey("2001:db8:1:2::1"));
    expect(clientKey("64:ff9b::192.0.2.1")).toBe("64:ff9b:0:0::/64");
  });

  it("refuse anything that is not an address", () => {
    for (const bad of ["", "unknown-client", "localhost", "1.2.3", "192.0.2.1, 10.0.0.1"])
      expect(() => clientKey(bad)).toThrow("not an IP address");
  });
});

describe("backoff", () => {
  it("is free for the first failures, then doubles up to the cap", () => {
    const delays = Array.from({ length: 18 }, (_, n) => backoffMs(n, 5, SIGN_IN_RULES) / 1000);
    expect(delays).toEqual([0, 0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900]);
  });
});
