/** Formatting shared by the secrets pages. Client-side only: these read the browser's clock and locale. */

export const formatDateTime = (date: Date | string) =>
  new Date(date).toLocaleString("en", { dateStyle: "medium", timeStyle: "short" });

/** With seconds: audit events often come several to the minute. */
export const formatTimestamp = (date: Date | string) =>
  new Date(date).toLocaleString("en", { dateStyle: "medium", timeStyle: "medium" });

export const formatBytes = (bytes: number) =>
  bytes < 1024
    ? `${bytes.toLocaleString("en")} bytes`
    : bytes < 1024 * 1024
      ? `${Number((bytes / 1024).toFixed(1))} KiB`
      : `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

export const plural = (n: number, one: string, many = `${one}s`) => `${n.toLocaleString("en")} ${n === 1 ? one : many}`;

export const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

/** Standard base64 (RFC 4648 §4, with padding), what `base64 -d` and Java's decoder expect. */
export function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  // Chunked: String.fromCharCode(...all) overflows the stack on large inputs.
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

export const utf8ToBase64 = (text: string) => bytesToBase64(new TextEncoder().encode(text));

/** Length of the base64 encoding of `bytes` bytes. */
export const base64Length = (bytes: number) => 4 * Math.ceil(bytes / 3);

/** "Chrome 131 · Linux" from a user-agent header; the raw header stays available as a tooltip. */
export function shortUserAgent(ua: string | null): string {
  if (!ua) return "—";
  const os = /Windows/.test(ua)
    ? "Windows"
    : /iPhone|iPad/.test(ua)
      ? "iOS"
      : /Android/.test(ua)
        ? "Android"
        : /CrOS/.test(ua)
          ? "ChromeOS"
          : /Mac OS X|Macintosh/.test(ua)
            ? "macOS"
            : /Linux/.test(ua)
              ? "Linux"
              : null;
  const browsers: Array<[RegExp, string]> = [
    [/Edg\/(\d+)/, "Edge"],
    [/OPR\/(\d+)/, "Opera"],
    [/Firefox\/(\d+)/, "Firefox"],
    [/(?:Headless)?Chrome\/(\d+)/, "Chrome"],
    [/Version\/(\d+)[^ ]* .*Safari\//, "Safari"],
  ];
  for (const [pattern, name] of browsers) {
    const match = pattern.exec(ua);
    if (match) return [`${name} ${match[1]}`, os].filter(Boolean).join(" · ");
  }
  // Scripts and CLIs: "curl/8.5.0", "node", "python-requests/2.31" — the product token says enough.
  const product = ua.split(/\s+/)[0] ?? ua;
  return product.length > 32 ? `${product.slice(0, 31)}…` : product;
}
