import { describe, expect, it } from "vitest";
import { auditCsvRow, csvField, csvRow } from "./csv";

describe("CSV export", () => {
  it("quotes fields with commas, quotes and line breaks, and doubles quotes", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(null)).toBe("");
    expect(csvRow(["a", 1, null])).toBe("a,1,\r\n");
  });

  it("defuses fields a spreadsheet would run as formulas", () => {
    expect(csvField('=HYPERLINK("x")')).toBe('"\'=HYPERLINK(""x"")"');
    expect(csvField("+1")).toBe("'+1");
    expect(csvField("@SUM(A1)")).toBe("'@SUM(A1)");
  });

  it("writes an audit event with its detail as JSON", () => {
    const row = auditCsvRow({
      at: "2025-01-02T03:04:05.000Z",
      actorEmail: "ada@example.org",
      action: "secrets.imported",
      targetType: "workspace-secret",
      targetName: null,
      runId: null,
      ip: null,
      userAgent: "Mozilla/5.0 (X11; Linux x86_64)",
      detail: { count: 2, names: ["A_B", "C_D"] },
    });
    expect(row).toBe(
      '2025-01-02T03:04:05.000Z,ada@example.org,secrets.imported,workspace-secret,,,,Mozilla/5.0 (X11; Linux x86_64),"{""count"":2,""names"":[""A_B"",""C_D""]}"\r\n',
    );
  });
});
