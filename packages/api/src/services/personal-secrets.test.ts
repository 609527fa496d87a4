import { describe, expect, it } from "vitest";
import { hidePersonalSecretNames, personalSecretsPhrase, scrubPersonalNames } from "./personal-secrets";

const refs = [
  { name: "DB_PASSWORD", source: "workspace" as const, secretId: "1" },
  { name: "API_TOKEN", source: "user" as const, secretId: "2" },
  { name: "API_TOKEN_2", source: "user" as const, secretId: "3" },
];

describe("personal secret names", () => {
  it("reads 'a personal secret of <launcher>' with the count", () => {
    expect(personalSecretsPhrase(1, "Alice")).toBe("a personal secret of Alice");
    expect(personalSecretsPhrase(3, "Alice")).toBe("3 personal secrets of Alice");
    expect(personalSecretsPhrase(1, null)).toBe("a personal secret of the launcher");
  });

  it("replaces whole names only, longest first, and leaves workspace names and lookalikes alone", () => {
    expect(
      scrubPersonalNames(
        "could not create lockstep-run/API_TOKEN_2 and API_TOKEN; DB_PASSWORD ok; MY_API_TOKEN, API_TOKENS",
        refs,
        "Alice",
      ),
    ).toBe(
      "could not create lockstep-run/[a personal secret of Alice] and [a personal secret of Alice]; DB_PASSWORD ok; MY_API_TOKEN, API_TOKENS",
    );
    // Positive control: without personal refs nothing changes.
    expect(scrubPersonalNames("API_TOKEN", refs.slice(0, 1), "Alice")).toBe("API_TOKEN");
  });

  it("turns old events' '(user)' entries into a count, and scrubs names from their texts", () => {
    const detail = {
      names: ["DB_PASSWORD (workspace)", "API_TOKEN (user)", "API_TOKEN_2 (user)"],
      error: "AccessDenied on API_TOKEN",
      copies: 3,
    };
    expect(hidePersonalSecretNames(detail, { refs, launcherName: "Alice" })).toEqual({
      names: ["DB_PASSWORD (workspace)"],
      error: "AccessDenied on [a personal secret of Alice]",
      copies: 3,
      personalSecrets: 2,
      personalSecretsOf: "Alice",
    });
    // An event of the new form is left as it is.
    const current = { names: ["DB_PASSWORD (workspace)"], personalSecrets: 2, personalSecretsOf: "Alice" };
    expect(hidePersonalSecretNames(current, { refs, launcherName: "Alice" })).toEqual(current);
    // Without the run (deleted), '(user)' entries still go.
    expect(hidePersonalSecretNames({ secrets: ["X_1 (user)"] }, null)).toEqual({
      secrets: [],
      personalSecrets: 1,
      personalSecretsOf: "the launcher",
    });
  });
});
