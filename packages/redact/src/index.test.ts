import { describe, expect, it } from "vitest";
import { createRedactor, encodedForms, MASK, MIN_REDACTED_CHARS, redactText } from "./index";

// 41 bytes (base64 is padded) whose base64 holds "+" (so the URL-safe alphabet differs).
const VALUE = "s3cr3t-Välue/with+odd?chars&more=1 ok~~>";
const bytes = Buffer.from(VALUE, "utf8");
const r = createRedactor([VALUE]);

/** Each form is caught alone and inside a line, and nothing but the form is touched. */
const FORMS: Record<string, string> = {
  plain: VALUE,
  "base64 std, padded": bytes.toString("base64"),
  "base64 std, unpadded": bytes.toString("base64").replace(/=+$/, ""),
  "base64url, unpadded": bytes.toString("base64url"),
  "base64url, padded": bytes.toString("base64").replace(/\+/g, "-").replace(/\//g, "_"),
  "hex lower": bytes.toString("hex"),
  "hex upper": bytes.toString("hex").toUpperCase(),
  encodeURIComponent: encodeURIComponent(VALUE),
  encodeURI: encodeURI(VALUE),
  URLSearchParams: new URLSearchParams({ v: VALUE }).toString().slice(2),
  "URL, lower-case escapes": encodeURIComponent(VALUE).replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()),
};

describe("redaction of one value in each form", () => {
  // A positive control: the form really differs from the plain value (else the test proves nothing).
  it("the forms under test are distinct texts", () => {
    expect(new Set(Object.values(FORMS)).size).toBe(Object.keys(FORMS).length);
  });

  for (const [name, form] of Object.entries(FORMS)) {
    it(`masks the ${name} form`, () => {
      const line = `before ${form} after`;
      const out = r.redactText(line);
      expect(out).not.toContain(form);
      expect(out.startsWith("before ")).toBe(true);
      expect(out.endsWith(" after")).toBe(true);
      expect(out).toContain(MASK);
    });
  }

  it("masks base64 of a longer text that contains the value, at each of the three byte alignments", () => {
    for (const prefix of ["", "x", "xy", "xyz", '[{"name":"DB_PASSWORD","value":"']) {
      const store = Buffer.from(`${prefix}${VALUE}"}]`, "utf8");
      for (const b64 of [store.toString("base64"), store.toString("base64url")]) {
        const out = r.redactText(`dump: ${b64}`);
        expect(out).toContain(MASK);
        // What is left decodes to the prefix and suffix with at most a byte's worth of bits of the
        // value at each side: never a whole character run of it.
        const decoded = out
          .slice(6)
          .split(MASK)
          .map((part) => Buffer.from(part, "base64").toString("latin1"))
          .join("|");
        expect(decoded).not.toContain(VALUE.slice(0, 3));
        expect(decoded).not.toContain(VALUE.slice(-3));
      }
    }
  });

  it("masks values in invalid UTF-8 and keeps every other byte", () => {
    const input = Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), bytes, Buffer.from([0x80, 0x0a])]);
    const { bytes: out, occurrences } = r.redactBytes(input);
    expect(occurrences).toBe(1);
    expect(out).toEqual(Buffer.concat([Buffer.from([0xff, 0x00, 0xc3]), Buffer.from(MASK), Buffer.from([0x80, 0x0a])]));
  });

  it("masks a value containing another as one span, and overlapping occurrences entirely", () => {
    const inner = "password";
    const outer = "my-password-123";
    const both = createRedactor([inner, outer]);
    expect(both.redactText(`a ${outer} b ${inner} c`)).toBe(`a ${MASK} b ${MASK} c`);
    const periodic = createRedactor(["abababab"]);
    expect(periodic.redactText("xababababab!")).toBe(`x${MASK}!`);
  });

  it("reports spans only for matches that start in the asked-for range", () => {
    const buf = Buffer.from(`${VALUE}--${VALUE}`);
    expect(r.spans(buf, 0, 1)).toHaveLength(1);
    expect(r.spans(buf, 1)).toEqual([[bytes.length + 2, 2 * bytes.length + 2]]);
  });
});

describe("the minimum length", () => {
  it(`does not search for values shorter than ${MIN_REDACTED_CHARS} characters, and counts them`, () => {
    const short = createRedactor(["1", "dev", "admin12", "admin123"]);
    expect([short.values, short.tooShort]).toEqual([1, 3]);
    expect(short.redactText("dev 1 admin12 admin123")).toBe(`dev 1 admin12 ${MASK}`);
  });

  it("counts characters, not bytes", () => {
    expect(createRedactor(["ääää"]).tooShort).toBe(1);
    expect(createRedactor(["ääääääää"]).values).toBe(1);
  });

  it("searches no encoded form shorter than the minimum either", () => {
    for (const form of encodedForms("12345678")) expect(form.text.length).toBeGreaterThanOrEqual(MIN_REDACTED_CHARS);
  });

  it("an empty redactor returns the input untouched", () => {
    const none = createRedactor([]);
    expect(none.redactText("anything")).toBe("anything");
    expect(none.lookahead).toBe(0);
  });
});

describe("redactText for error messages", () => {
  it("masks a value a cloud API echoed, in any form", () => {
    const v = "sk_live_0123456789";
    expect(redactText(`ValidationException: bad value ${v} (${Buffer.from(v).toString("base64")})`, [v])).toBe(
      `ValidationException: bad value ${MASK} (${MASK})`,
    );
  });
});

// ── Property-style: many random values and contexts, from a seeded generator (reproducible) ──

function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Characters a secret value may hold (no control characters, quotes, backticks or backslashes).
const VALUE_CHARS = [
  ..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 !#$%&'()*+,-./:;<=>?@[]^_{|}~",
  "é",
  "ß",
  "€",
  "漢",
  "🔑",
];

function randomValue(next: () => number, min = MIN_REDACTED_CHARS, max = 80) {
  const length = min + Math.floor(next() * (max - min));
  let out = "";
  for (let i = 0; i < length; i++) out += VALUE_CHARS[Math.floor(next() * VALUE_CHARS.length)];
  return out;
}

function randomBytes(next: () => number, length: number) {
  return Buffer.from(Array.from({ length }, () => Math.floor(next() * 256)));
}

function encodeAs(kind: number, bytes: Buffer): string {
  switch (kind) {
    case 0:
      return bytes.toString("utf8");
    case 1:
      return bytes.toString("base64");
    case 2:
      return bytes.toString("base64url");
    case 3:
      return bytes.toString("hex");
    case 4:
      return bytes.toString("hex").toUpperCase();
    default:
      return encodeURIComponent(bytes.toString("utf8"));
  }
}

describe("properties over random values", () => {
  it("every form of a random value, between random bytes, is gone after redaction", () => {
    const next = prng(11);
    for (let i = 0; i < 300; i++) {
      const value = randomValue(next);
      const red = createRedactor([value, randomValue(next)]);
      const kind = i % 6;
      const form = encodeAs(kind, Buffer.from(value));
      const input = Buffer.concat([
        randomBytes(next, Math.floor(next() * 40)),
        Buffer.from(form),
        randomBytes(next, Math.floor(next() * 40)),
      ]);
      const { bytes: out, occurrences } = red.redactBytes(input);
      expect(occurrences, `kind ${kind}`).toBeGreaterThanOrEqual(1);
      expect(out.includes(Buffer.from(form)), `kind ${kind}`).toBe(false);
    }
  });

  it("a value inside a longer random text, encoded as a whole, leaves no character it alone determines", () => {
    const next = prng(12);
    for (let i = 0; i < 300; i++) {
      const value = Buffer.from(randomValue(next));
      const prefix = randomBytes(next, Math.floor(next() * 30));
      const suffix = randomBytes(next, Math.floor(next() * 30));
      const whole = Buffer.concat([prefix, value, suffix]);
      const url = i % 2 === 1;
      const encoded = Buffer.from(url ? whole.toString("base64url") : whole.toString("base64"));
      // Characters that carry any bit of the value.
      const first = Math.floor((8 * prefix.length) / 6);
      const last = Math.ceil((8 * (prefix.length + value.length)) / 6) - 1;
      const spans = createRedactor([value.toString("utf8")]).spans(encoded);
      const covered = spans.some(([s, e]) => s <= first && e > last);
      expect(covered, `prefix ${prefix.length}, value ${value.length}`).toBe(true);
    }
  });

  it("text that holds no form of the value is returned byte for byte", () => {
    const next = prng(13);
    for (let i = 0; i < 300; i++) {
      const value = randomValue(next);
      const input = randomBytes(next, 200 + Math.floor(next() * 2000));
      const red = createRedactor([value]);
      const holds = encodedForms(value).some((f) => input.includes(Buffer.from(f.text)));
      const { bytes: out, occurrences } = red.redactBytes(input);
      if (!holds) {
        expect(occurrences).toBe(0);
        expect(out.equals(input)).toBe(true);
      }
    }
  });

  it("redacting twice changes nothing more (the mask holds no value)", () => {
    const next = prng(14);
    for (let i = 0; i < 100; i++) {
      const value = randomValue(next);
      const red = createRedactor([value]);
      const once = red.redactText(`a ${value} b ${Buffer.from(value).toString("base64")} c`);
      expect(red.redactText(once)).toBe(once);
    }
  });
});
