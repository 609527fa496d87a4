import { describe, expect, it } from "vitest";
import { RECEIPT_CSV_COLUMNS, receiptCsv } from "./receipt-csv";
import type { TReceipt } from "./receipts";

/** RFC 4180 reader, written independently of the writer: quoted fields, doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ",") {
      row.push(cell);
      cell = "";
    } else if (c === "\r" && text[i + 1] === "\n") {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = "";
      i++;
    } else cell += c;
  }
  expect(cell).toBe(""); // every row ends in CRLF
  return rows;
}

const receipt: TReceipt = {
  runId: "5f0c6a1e-7f57-4a39-9f44-5a0b1c2d3e4f",
  pipelineName: 'rna, "seq"',
  computeEnvName: "Local",
  secretsState: "DELETED",
  provider: "nextflow-file",
  store: "/runs/5f0c/secrets",
  secrets: [
    { name: "DB_PASSWORD", source: "workspace" },
    { name: "API_TOKEN", source: "user" },
  ],
  personalSecretCount: 1,
  copies: [
    {
      location: "/runs/5f0c/secrets/store.json",
      writtenAt: "2026-01-01T10:00:00.000Z",
      goneAt: "2026-01-01T10:05:00.000Z",
      verifiedBy: "list-after-delete",
    },
    {
      location: "arn:aws:secretsmanager:eu-west-1:1:secret:lockstep-5f0c/API_TOKEN",
      writtenAt: "2026-01-01T10:00:01.000Z",
      goneAt: null,
      verifiedBy: null,
    },
  ],
  sidecars: "every .nf-*.secrets file, removed with that directory",
  deletion: {
    verified: true,
    at: "2026-01-01T10:05:00.000Z",
    method: "list-after-delete: …",
    attempts: 1,
    lastError: '=HYPERLINK("http://evil")',
  },
  redaction: { occurrences: 3, files: 1, scannedFiles: 7, at: "2026-01-01T10:05:01.000Z" },
  generatedAt: "2026-01-02T00:00:00.000Z",
};

describe("receiptCsv", () => {
  it("has one row per copy, each saying what the JSON receipt says", () => {
    const [header, ...rows] = parseCsv(receiptCsv(receipt));
    expect(header).toEqual([...RECEIPT_CSV_COLUMNS]);
    expect(rows).toHaveLength(receipt.copies.length);
    const records = rows.map((r) => Object.fromEntries(header!.map((h, i) => [h, r[i]])));
    records.forEach((rec, i) => {
      const copy = receipt.copies[i]!;
      expect(rec).toMatchObject({
        run_id: receipt.runId,
        pipeline: receipt.pipelineName,
        provider: receipt.provider,
        store: receipt.store,
        location: copy.location,
        written_at: copy.writtenAt,
        gone_at: copy.goneAt ?? "",
        verified_by: copy.verifiedBy ?? "",
        deletion_verified: "true",
        cleanup_attempts: "1",
        secrets: "DB_PASSWORD (workspace); API_TOKEN (user)",
        personal_secret_count: "1",
        redacted_occurrences: "3",
        scanned_files: "7",
        secrets_state: "DELETED",
        generated_at: receipt.generatedAt,
      });
    });
  });

  it("quotes commas and quotes, and defuses a field a spreadsheet would run as a formula", () => {
    const [header, first] = parseCsv(receiptCsv(receipt));
    const at = (name: string) => first![header!.indexOf(name)];
    expect(at("pipeline")).toBe('rna, "seq"');
    expect(at("last_cleanup_error")).toBe('\'=HYPERLINK("http://evil")');
  });

  it("still has a row when nothing was written", () => {
    const [, ...rows] = parseCsv(
      receiptCsv({ ...receipt, copies: [], secrets: [], personalSecretCount: 0, secretsState: "NONE" }),
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]![RECEIPT_CSV_COLUMNS.indexOf("location")]).toBe("");
  });
});
