import { describe, expect, it } from "vitest";
import { FingerprintKey } from "./fingerprint";

describe("FingerprintKey", () => {
  const key = FingerprintKey.fromSpec(FingerprintKey.generateSpec("fp-test"));

  it("gives the same fingerprint for the same value and a different one for a different value", () => {
    expect(key.of("marker-value-1")).toEqual(key.of("marker-value-1"));
    expect(key.of("marker-value-1").mac).not.toBe(key.of("marker-value-2").mac);
    expect(key.of("marker-value-1").kid).toBe("fp-test");
  });

  it("depends on the key: another key gives another fingerprint for the same value", () => {
    const other = FingerprintKey.fromSpec(FingerprintKey.generateSpec("fp-test"));
    expect(other.of("marker-value-1").mac).not.toBe(key.of("marker-value-1").mac);
  });

  it("never contains the value", () => {
    const fp = key.of("marker-value-1");
    expect(JSON.stringify(fp)).not.toContain("marker-value-1");
    expect(fp.mac).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it("refuses short keys and malformed specs, naming the rule", () => {
    expect(() => FingerprintKey.fromSpec("k:" + Buffer.alloc(16).toString("base64url"))).toThrow(
      /at least 32 bytes \(it holds 16\)/,
    );
    expect(() => FingerprintKey.fromSpec("no-kid")).toThrow(/kid:base64url/);
    expect(() => FingerprintKey.fromSpec("k:not base64!")).toThrow(/base64url/);
  });
});
