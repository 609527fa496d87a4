import { describe, expect, it } from "vitest";
import { MASK } from "@lockstep/redact";
import { classify } from "./providers/aws-secrets-manager/provider";
import { toProviderError } from "./providers/google-secret-manager/provider";

// Both providers' error messages go through @lockstep/redact: a value a cloud API echoes back is
// masked in its plain and encoded forms alike, before the message is cut to length.
const value = "hunter2-secret/value+x";
const echoes = [
  value,
  Buffer.from(value).toString("base64"),
  Buffer.from(value).toString("hex"),
  encodeURIComponent(value),
];

describe("provider error messages", () => {
  it("AWS: every echoed form is masked", () => {
    for (const echo of echoes) {
      const error = Object.assign(new Error(`Value '${echo}' at 'secretString' failed`), {
        name: "ValidationException",
        $metadata: { httpStatusCode: 400 },
      });
      const message = classify(error, "CreateSecret x", [value]).message;
      expect(message).not.toContain(echo);
      expect(message).toContain(`Value '${MASK}' at`);
    }
  });

  it("Google: every echoed form is masked", () => {
    for (const echo of echoes) {
      const message = toProviderError(
        Object.assign(new Error("x"), { code: 3, details: `bad payload ${echo}` }),
        "add",
        [value],
      ).message;
      expect(message).not.toContain(echo);
      expect(message).toContain(`bad payload ${MASK}`);
    }
  });

  it("a value that straddles the 300-character cut is still masked", () => {
    const error = Object.assign(new Error(`${"x".repeat(290)} ${value}`), {
      name: "ValidationException",
      $metadata: { httpStatusCode: 400 },
    });
    expect(classify(error, "CreateSecret x", [value]).message).not.toContain(value.slice(0, 9));
  });
});
