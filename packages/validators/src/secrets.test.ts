import { describe, expect, it } from "vitest";
import { NEXTFLOW_SECRET_NAME, secretNameProblem, secretValueProblem, ZSecretName, ZSecretValue } from "./secrets";

describe("secret names follow Nextflow's rule", () => {
  // Vectors from ../shared/reference/nextflow-secrets.md (Nextflow's SecretsHelper tests).
  it.each(["ab", "A_123", "_A123", "ABC_123_", "DB_PASSWORD", "a".repeat(100)])("accepts %s", (name) => {
    expect(secretNameProblem(name)).toBeNull();
    expect(ZSecretName.safeParse(name).success).toBe(true);
  });

  it.each([
    ["a", /at least 2/],
    ["0a", /not a digit/],
    ["A__B", /two underscores in a row/],
    ["AB__", /two underscores in a row/],
    ["__AB", /two underscores/],
    ["A-B", /only letters, digits/],
    ["a".repeat(101), /at most 100/],
    ["A B", /only letters/],
  ])("rejects %s", (name, reason) => {
    expect(secretNameProblem(name)).toMatch(reason);
    expect(ZSecretName.safeParse(name).success).toBe(false);
  });

  it("agrees with Nextflow's regex on every name it accepts", () => {
    const samples = ["ab", "a_b_c", "_a", "Z9", "a1_b2_", "x_".repeat(25), "x_".repeat(26)];
    for (const name of samples) {
      if (secretNameProblem(name) === null)
        expect(NEXTFLOW_SECRET_NAME.test(name) && !name.startsWith("__")).toBe(true);
    }
    // 50 tokens exceed Nextflow's {1,49}, even though the name is under 100 characters.
    expect(secretNameProblem("a" + "_b".repeat(25))).toMatch(/Nextflow's name rule/);
  });
});

describe("secret values are deliverable by Nextflow", () => {
  it.each(["s3cr3t", "p@ss word$with'single'quotes", "é✓ unicode", "x".repeat(65_536)])(
    "accepts a deliverable value",
    (v) => {
      expect(secretValueProblem(v)).toBeNull();
    },
  );

  it.each([
    ["", /must not be empty/],
    ["line1\nline2", /line break.*base64/],
    ['say "hi"', /double quote.*base64/],
    ["`id`", /backtick/],
    ["C:\\path", /backslash/],
    ["tab\there", /control character \(U\+0009\)/],
    ["é".repeat(32_769), /65,538 bytes; the limit is 65,536 bytes/],
  ])("rejects and explains", (value, reason) => {
    expect(secretValueProblem(value)).toMatch(reason);
  });

  it("never echoes the value in its error", () => {
    const marker = "MARKER-4d1f\nsecond-line";
    const result = ZSecretValue.safeParse(marker);
    expect(result.success).toBe(false);
    expect(JSON.stringify(result.error?.issues)).not.toContain("MARKER-4d1f");
  });
});
