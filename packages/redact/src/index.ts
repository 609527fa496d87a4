/**
 * The one place that decides what "a secret value appeared here" means. Used for the run log the
 * worker stores while a run is live, for the pass over the run's files when it ends, and for
 * error messages of cloud APIs that might echo a request.
 *
 * It works on bytes, so a file or a log line that is not valid UTF-8 is redacted without being
 * decoded (and rewritten without changing a byte that is not part of a match), and a value is
 * found in every form a pipeline is likely to print it in:
 *
 * - plain;
 * - base64, standard and URL-safe alphabets, with and without padding — on its own, and inside a
 *   longer base64 text (the value at any of the three byte alignments, e.g. a whole secrets store
 *   printed as base64: only the characters the value alone determines are searched for, and the
 *   one character on each side that carries some of its bits is masked with them);
 * - hex, lower and upper case;
 * - URL-encoded as the usual encoders do it (encodeURIComponent, encodeURI, WHATWG forms,
 *   RFC 3986 strict, Python's quote and quote_plus), with upper- or lower-case escapes.
 *
 * A value shorter than MIN_REDACTED_CHARS characters is not searched for: a short value ("1",
 * "dev", "admin") also occurs in innocent text, so masking it would shred the log and, worse, the
 * pattern of masks would tell a reader what the value is. `tooShort` counts such values so the
 * caller can say so. Eight is the floor GitLab applies to masked CI variables, for the same reason.
 *
 * What no redactor can catch: a value the pipeline transforms (reversed, split across lines,
 * mixed-case hex, hashed, encrypted, compressed, or encoded twice) — see docs/security.md.
 */

export const MIN_REDACTED_CHARS = 8;
export const MASK = "***";

type TNeedle = { bytes: Buffer; extendLeft: boolean; extendRight: boolean };

export type TSpan = [start: number, end: number];

export type TRedactor = {
  /** Values long enough to be searched for (after removing duplicates). */
  readonly values: number;
  /** Values shorter than MIN_REDACTED_CHARS, which are not searched for. */
  readonly tooShort: number;
  /**
   * Bytes after a match's first byte that must be visible to see the whole match (longest form +
   * one masked neighbour). A reader that works in chunks keeps this many bytes of overlap.
   */
  readonly lookahead: number;
  /** Sorted, non-overlapping [start, end) byte ranges to mask, for matches starting in [from, until). */
  spans(bytes: Buffer, from?: number, until?: number): TSpan[];
  /** Every match replaced with MASK. */
  redactBytes(bytes: Buffer): { bytes: Buffer; occurrences: number };
  redactText(text: string): string;
};

// Characters of either base64 alphabet: a match inside longer base64 text also masks the one
// neighbour on each side that carries some of the value's bits.
const BASE64_CHAR = new Uint8Array(256);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_") BASE64_CHAR[c.charCodeAt(0)] = 1;

const urlSafe = (b64: string) => b64.replace(/\+/g, "-").replace(/\//g, "_");

/** Base64 text a value turns into: whole (padded or not) and the parts of longer base64 text it fixes. */
function base64Forms(bytes: Buffer): Array<{ text: string; extendLeft: boolean; extendRight: boolean }> {
  const whole = bytes.toString("base64");
  const forms = [whole, whole.replace(/=+$/, "")]
    .flatMap((t) => [t, urlSafe(t)])
    .map((text) => ({ text, extendLeft: false, extendRight: false }));
  for (let shift = 0; shift < 3; shift++) {
    // The value preceded by `shift` unknown bytes: a character is the value's alone when all six
    // of its bits fall inside the value's bits.
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString("base64");
    const firstBit = 8 * shift;
    const endBit = 8 * (shift + bytes.length);
    const core = encoded.slice(Math.ceil(firstBit / 6), Math.floor(endBit / 6));
    const extendLeft = firstBit % 6 !== 0;
    const extendRight = endBit % 6 !== 0;
    forms.push({ text: core, extendLeft, extendRight }, { text: urlSafe(core), extendLeft, extendRight });
  }
  return forms;
}

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const RFC3986 = `${ALNUM}-._~`;
/** What each common URL encoder leaves as is, and whether it writes a space as `+`. */
const URL_ENCODERS: Array<{ keep: string; plusForSpace: boolean }> = [
  { keep: `${RFC3986}!*'()`, plusForSpace: false }, // encodeURIComponent
  { keep: `${RFC3986}!*'();,/?:@&=+$#`, plusForSpace: false }, // encodeURI
  { keep: RFC3986, plusForSpace: false }, // RFC 3986 strict, curl --data-urlencode
  { keep: `${RFC3986}/`, plusForSpace: false }, // Python urllib.parse.quote
  { keep: RFC3986, plusForSpace: true }, // Python quote_plus
  { keep: `${ALNUM}*-._`, plusForSpace: true }, // WHATWG application/x-www-form-urlencoded (URLSearchParams, HTML forms)
];

function percentEncode(bytes: Buffer, keep: string, plusForSpace: boolean, lower: boolean): string {
  let out = "";
  for (const b of bytes) {
    const ch = String.fromCharCode(b);
    if (b < 0x80 && keep.includes(ch)) out += ch;
    else if (b === 0x20 && plusForSpace) out += "+";
    else {
      const hex = b.toString(16).padStart(2, "0");
      out += `%${lower ? hex : hex.toUpperCase()}`;
    }
  }
  return out;
}

/** Every form of one value that is searched for (exported for tests). */
export function encodedForms(value: string): Array<{ text: string; extendLeft: boolean; extendRight: boolean }> {
  const bytes = Buffer.from(value, "utf8");
  const hex = bytes.toString("hex");
  const plainish = [value, hex, hex.toUpperCase()];
  for (const { keep, plusForSpace } of URL_ENCODERS)
    for (const lower of [false, true]) plainish.push(percentEncode(bytes, keep, plusForSpace, lower));
  const all = [...plainish.map((text) => ({ text, extendLeft: false, extendRight: false })), ...base64Forms(bytes)];
  // One entry per text; a base64 core that also stands alone keeps its neighbours' masking.
  const byText = new Map<string, { text: string; extendLeft: boolean; extendRight: boolean }>();
  for (const form of all) {
    if ([...form.text].length < MIN_REDACTED_CHARS) continue;
    const seen = byText.get(form.text);
    byText.set(
      form.text,
      seen
        ? {
            text: form.text,
            extendLeft: seen.extendLeft || form.extendLeft,
            extendRight: seen.extendRight || form.extendRight,
          }
        : form,
    );
  }
  return [...byText.values()];
}

export function createRedactor(values: Iterable<string>): TRedactor {
  const distinct = [...new Set(values)];
  const searched = distinct.filter((v) => [...v].length >= MIN_REDACTED_CHARS);
  const needles = new Map<string, TNeedle>();
  for (const value of searched) {
    for (const form of encodedForms(value)) {
      const seen = needles.get(form.text);
      needles.set(form.text, {
        bytes: seen?.bytes ?? Buffer.from(form.text, "utf8"),
        extendLeft: (seen?.extendLeft ?? false) || form.extendLeft,
        extendRight: (seen?.extendRight ?? false) || form.extendRight,
      });
    }
  }
  const list = [...needles.values()];
  const lookahead = list.reduce((max, n) => Math.max(max, n.bytes.length + 1), 0);

  function spans(bytes: Buffer, from = 0, until = bytes.length): TSpan[] {
    const found: TSpan[] = [];
    for (const needle of list) {
      // Every occurrence, overlapping ones included ("abababab" twice in "ababababab").
      for (
        let at = bytes.indexOf(needle.bytes, from);
        at !== -1 && at < until;
        at = bytes.indexOf(needle.bytes, at + 1)
      ) {
        let start = at;
        let end = at + needle.bytes.length;
        if (needle.extendLeft && start > 0 && BASE64_CHAR[bytes[start - 1]!]) start--;
        if (needle.extendRight && end < bytes.length && BASE64_CHAR[bytes[end]!]) end++;
        found.push([start, end]);
      }
    }
    found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const merged: TSpan[] = [];
    for (const span of found) {
      const last = merged[merged.length - 1];
      if (last && span[0] < last[1]) last[1] = Math.max(last[1], span[1]);
      else merged.push([span[0], span[1]]);
    }
    return merged;
  }

  function redactBytes(bytes: Buffer) {
    const found = spans(bytes);
    if (found.length === 0) return { bytes, occurrences: 0 };
    const mask = Buffer.from(MASK);
    const parts: Buffer[] = [];
    let at = 0;
    for (const [start, end] of found) {
      parts.push(bytes.subarray(at, start), mask);
      at = end;
    }
    parts.push(bytes.subarray(at));
    return { bytes: Buffer.concat(parts), occurrences: found.length };
  }

  return {
    values: searched.length,
    tooShort: distinct.length - searched.length,
    lookahead,
    spans,
    redactBytes,
    redactText: (text) => (list.length === 0 ? text : redactBytes(Buffer.from(text, "utf8")).bytes.toString("utf8")),
  };
}

/** One-off redaction of a short text (an error message from a cloud API). */
export function redactText(text: string, values: Iterable<string>): string {
  return createRedactor(values).redactText(text);
}
