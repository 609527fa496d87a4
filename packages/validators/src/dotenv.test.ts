import { describe, expect, it } from "vitest";
import { parseDotenv } from "./dotenv";

describe(".env import parsing", () => {
  it("reads names and values, skipping comments and blank lines", () => {
    const text = [
      "# database",
      "DB_PASSWORD=s3cr3t",
      "",
      "export API_TOKEN = 'tok en'",
      'QUOTED="a b"',
      "TRAILING=value # comment",
    ].join("\n");
    const { entries, errors } = parseDotenv(text);
    expect(errors).toEqual([]);
    expect(entries).toEqual([
      { line: 2, name: "DB_PASSWORD", value: "s3cr3t" },
      { line: 4, name: "API_TOKEN", value: "tok en" },
      { line: 5, name: "QUOTED", value: "a b" },
      { line: 6, name: "TRAILING", value: "value" },
    ]);
  });

  it("reports each bad line by number and never quotes a value", () => {
    const text = [
      "GOOD=ok",
      "bad-name=x",
      "NO_EQUALS",
      'MULTI="line1\\nline2"',
      "GOOD=again",
      "EMPTY=",
      'OPEN="never closed',
    ].join("\n");
    const { entries, errors } = parseDotenv(text);
    expect(entries.map((e) => e.name)).toEqual(["GOOD"]);
    expect(errors.map((e) => e.line)).toEqual([2, 3, 4, 5, 6, 7]);
    expect(errors[0]!.message).toMatch(/^name may contain only letters/);
    expect(errors[1]!.message).toBe("expected NAME=value");
    expect(errors[2]!.message).toMatch(/line break.*base64/);
    expect(errors[3]!.message).toBe("GOOD is also defined on line 1");
    expect(errors[4]!.message).toMatch(/must not be empty/);
    expect(errors[5]!.message).toMatch(/not closed/);
    expect(JSON.stringify(errors)).not.toContain("line1");
  });

  it("accepts Windows line endings and a byte-order mark", () => {
    expect(parseDotenv("\uFEFFA_B=1\r\nC_D=2\r\n").entries.map((e) => e.name)).toEqual(["A_B", "C_D"]);
  });
});
