import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createRedactor, MASK } from "@lockstep/redact";
import { LOG_LINE_MAX_BYTES, printable, readLogTail, storedLine } from "./log-tail";

const VALUE = "db-MARKER-3f9a1c2e-77b0";
const red = createRedactor([VALUE]);
let runDir: string;
const file = () => join(runDir, "console.log");

beforeEach(() => {
  runDir = mkdtempSync(join(tmpdir(), "lockstep-tail-"));
});
afterEach(() => rmSync(runDir, { recursive: true, force: true }));

/** What the monitor does: look after look, until nothing is left; returns every stored line. */
async function drain(final = true, room = 1_000_000) {
  const lines: string[] = [];
  let offset = 0;
  for (let i = 0; i < 10_000; i++) {
    const tail = await readLogTail(runDir, "console.log", offset, red, { final, room: room - lines.length });
    lines.push(...tail.lines);
    if (tail.offset === offset && tail.lines.length === 0) break;
    offset = tail.offset;
  }
  return { lines, offset };
}

describe("bytes Postgres would refuse", () => {
  it("NUL and other control bytes become visible markers; tabs stay", () => {
    expect(printable(Buffer.from("a\x00b\x1bc\x7fd\te\rf"))).toBe("a␀b␛c␡d\te␍f");
  });

  it("invalid UTF-8 becomes U+FFFD and nothing else changes", () => {
    expect(printable(Buffer.from([0x61, 0xff, 0xfe, 0x62, 0xc3, 0x28, 0xe2, 0x82]))).toBe(
      "a\ufffd\ufffdb\ufffd(\ufffd",
    );
  });

  it("a stored line never holds a NUL, whatever the bytes", () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i).filter((b) => b !== 0x0a));
    const { line } = storedLine(all, all.length, red);
    expect(line).not.toMatch(/[\x00-\x08\x0a-\x1f\x7f]/); // eslint-disable-line no-control-regex
    expect(line).not.toContain("\ufffe");
  });

  it("a value next to control bytes and invalid UTF-8 is still masked (redaction runs on the raw bytes first)", () => {
    const raw = Buffer.concat([Buffer.from([0x00, 0xff]), Buffer.from(VALUE), Buffer.from([0x1b, 0x00])]);
    expect(storedLine(raw, raw.length, red).line).toBe(`␀\ufffd${MASK}␛␀`);
  });
});

describe("whole lines only", () => {
  it("a partial last line waits for the next look, and the final look takes it", async () => {
    writeFileSync(file(), `one ${VALUE}\ntwo`);
    const live = await readLogTail(runDir, "console.log", 0, red, { final: false, room: 100 });
    expect(live.lines).toEqual([`one ${MASK}`]);
    appendFileSync(file(), ` and ${VALUE.slice(0, 5)}`);
    const again = await readLogTail(runDir, "console.log", live.offset, red, { final: false, room: 100 });
    expect(again).toMatchObject({ lines: [], offset: live.offset });
    appendFileSync(file(), `${VALUE.slice(5)}\r\n`);
    const next = await readLogTail(runDir, "console.log", live.offset, red, { final: false, room: 100 });
    expect(next.lines).toEqual([`two and ${MASK}`]);
    appendFileSync(file(), "last, no newline");
    expect((await readLogTail(runDir, "console.log", next.offset, red, { final: true, room: 100 })).lines).toEqual([
      "last, no newline",
    ]);
  });

  it("property: values anywhere, file grown in random pieces, looked at between pieces — no value is ever stored", async () => {
    let seed = 7;
    const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
    for (let round = 0; round < 5; round++) {
      writeFileSync(file(), "");
      const expected: string[] = [];
      let content = "";
      for (let i = 0; i < 400; i++) {
        const filler = "x".repeat(Math.floor(rand() * 3000));
        const form = [VALUE, Buffer.from(VALUE).toString("base64"), Buffer.from(VALUE).toString("hex")][i % 3]!;
        content += `${filler}${rand() < 0.5 ? form : ""}${filler.slice(0, 7)}\n`;
        expected.push(red.redactText(content.split("\n").at(-2)!));
      }
      const lines: string[] = [];
      let offset = 0;
      let written = 0;
      while (written < content.length) {
        // Pieces that cut lines and values anywhere, including right through the 256 KiB read size.
        const piece = Math.min(content.length - written, 1 + Math.floor(rand() * 300_000));
        appendFileSync(file(), content.slice(written, written + piece));
        written += piece;
        const tail = await readLogTail(runDir, "console.log", offset, red, { final: false, room: 1e9 });
        lines.push(...tail.lines);
        offset = tail.offset;
      }
      const last = await readLogTail(runDir, "console.log", offset, red, { final: true, room: 1e9 });
      lines.push(...last.lines);
      expect(lines).toEqual(expected);
      for (const line of lines)
        for (const form of [VALUE, Buffer.from(VALUE).toString("base64"), Buffer.from(VALUE).toString("hex")])
          expect(line).not.toContain(form);
    }
  });
});

describe("a 10 MB line", () => {
  const length = 10 * 1024 * 1024;

  function bigLine(placeAt: number[]) {
    const line = Buffer.alloc(length, "y");
    for (const at of placeAt) line.write(VALUE, at);
    return line;
  }

  it("is cut at 16 KiB with the exact number of bytes dropped, a value across the cut masked whole", async () => {
    const acrossCut = LOG_LINE_MAX_BYTES - 5;
    writeFileSync(
      file(),
      Buffer.concat([Buffer.from("before\n"), bigLine([100, acrossCut, length - 100]), Buffer.from("\nafter\n")]),
    );
    const { lines } = await drain();
    expect(lines).toHaveLength(3);
    const [, cut] = lines;
    expect(cut).not.toContain(VALUE.slice(0, 5));
    expect(cut!.match(/\*\*\*/g)).toHaveLength(2);
    const kept = acrossCut + VALUE.length; // the cut moved to the end of the masked value
    expect(cut).toMatch(new RegExp(`\\[… line longer than 16 KiB: ${length - kept} bytes dropped\\]$`));
    expect(lines[2]).toBe("after");
  });

  it("positive control: cutting first and redacting after would have kept half of the value", () => {
    const line = bigLine([LOG_LINE_MAX_BYTES - 5]);
    const naive = red.redactText(line.subarray(0, LOG_LINE_MAX_BYTES).toString());
    expect(naive).toContain(VALUE.slice(0, 5));
  });

  it("still being written, it is waited for; the final look stores its head", async () => {
    writeFileSync(file(), bigLine([0]));
    const live = await readLogTail(runDir, "console.log", 0, red, { final: false, room: 100 });
    expect(live).toMatchObject({ lines: [], offset: 0 });
    const final = await readLogTail(runDir, "console.log", 0, red, { final: true, room: 100 });
    expect(final.lines).toHaveLength(1);
    expect(final.lines[0]!.startsWith(MASK)).toBe(true);
    expect(final.offset).toBe(length);
  });
});

describe("a line that never ends", () => {
  it("is stored by its head once it passes the scan limit; later looks skip the rest up to its newline", async () => {
    const scan = 2 * 1024 * 1024;
    writeFileSync(file(), Buffer.concat([Buffer.alloc(4 * 1024 * 1024, "z"), Buffer.from(VALUE)]));
    const opts = { final: false, room: 100, longLineScan: scan };
    const first = await readLogTail(runDir, "console.log", 0, red, opts);
    expect(first.lines).toHaveLength(1);
    expect(first.lines[0]).toMatch(/\+ bytes dropped so far, it goes on\]$/);
    expect(first.offset).toBeGreaterThan(0);
    let offset = first.offset;
    const later: string[] = [];
    appendFileSync(file(), `${VALUE}\nnext ${VALUE}\n`);
    for (let i = 0; i < 10; i++) {
      const tail = await readLogTail(runDir, "console.log", offset, red, opts);
      later.push(...tail.lines);
      offset = tail.offset;
    }
    expect(later).toEqual([expect.stringMatching(/^\[… \d+ more bytes of that line dropped\]$/), `next ${MASK}`]);
  });
});

describe("a flood", () => {
  it("stops at `room` lines and says the log is full; later looks skip to the end", async () => {
    writeFileSync(file(), `${VALUE}\n`.repeat(50_000));
    const first = await readLogTail(runDir, "console.log", 0, red, { final: true, room: 1000 });
    expect(first.lines).toHaveLength(1000);
    expect(first.full).toBe(true);
    expect(first.lines.every((l) => l === MASK)).toBe(true);
    // The caller stored a marker after them, so it has no room left at all.
    const skipped = await readLogTail(runDir, "console.log", first.offset, red, { final: true, room: -1 });
    expect(skipped).toMatchObject({ lines: [], offset: 50_000 * (VALUE.length + 1), full: false });
    // Filled to the line by earlier looks, new output still gets its one marker.
    expect(await readLogTail(runDir, "console.log", first.offset, red, { final: true, room: 0 })).toMatchObject({
      lines: [],
      full: true,
    });
  });
});
