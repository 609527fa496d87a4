import { describe, expect, it } from "vitest";
import { base64Length, bytesToBase64, shortUserAgent, utf8Bytes, utf8ToBase64 } from "./format";

describe("base64 for secret values", () => {
  it("encodes UTF-8 text the way `base64` does", () => {
    expect(utf8ToBase64("line1\nline2")).toBe(Buffer.from("line1\nline2").toString("base64"));
    expect(utf8ToBase64('é✓ "quoted" \\')).toBe(Buffer.from('é✓ "quoted" \\', "utf8").toString("base64"));
  });

  it("encodes large binary input without overflowing the stack", () => {
    const bytes = new Uint8Array(200_000).map((_, i) => i % 256);
    expect(bytesToBase64(bytes)).toBe(Buffer.from(bytes).toString("base64"));
    expect(base64Length(bytes.length)).toBe(Buffer.from(bytes).toString("base64").length);
  });

  it("counts bytes, not characters", () => {
    expect(utf8Bytes("é")).toBe(2);
  });
});

describe("short user agents", () => {
  it.each([
    [
      "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
      "Chrome 131 · Linux",
    ],
    [
      "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15",
      "Safari 17 · macOS",
    ],
    ["Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox 128 · Windows"],
    [
      "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
      "Edge 131 · Windows",
    ],
    ["curl/8.5.0", "curl/8.5.0"],
    [null, "—"],
  ])("%s → %s", (ua, short) => {
    expect(shortUserAgent(ua)).toBe(short);
  });
});
