import { describe, expect, it } from "vitest";
import { safeReturnPath, slugify, waitPhrase, ZEmail, ZPassword, ZSlug } from "./identity";

describe("identity inputs", () => {
  it("normalises emails and rejects malformed ones with a readable message", () => {
    expect(ZEmail.parse("  Ada@Example.ORG ")).toBe("ada@example.org");
    expect(ZEmail.safeParse("ada@").error?.issues[0]?.message).toBe("Enter an email address like ada@example.org.");
  });

  it("asks for at least 10 password characters", () => {
    expect(ZPassword.safeParse("short").error?.issues[0]?.message).toBe("Password must be at least 10 characters.");
    expect(ZPassword.safeParse("correct horse").success).toBe(true);
  });

  it("refuses a password made of spaces, with the rule named", () => {
    // Positive control: ten spaces pass the length rule alone.
    expect(ZPassword.safeParse(" ".repeat(10)).error?.issues.map((i) => i.message)).toEqual([
      "Password must have at least 10 characters that are not spaces.",
    ]);
    expect(ZPassword.safeParse("\t \n".repeat(5)).success).toBe(false);
    expect(ZPassword.safeParse("a b c d e f g h i j").success).toBe(true);
  });

  it.each([
    [1, "about 1 second"],
    [0.2, "about 1 second"],
    [45, "about 45 seconds"],
    [60, "about 1 minute"],
    [506, "about 8 minutes"],
    [3599, "about 1 hour"],
    [7200, "about 2 hours"],
  ])("says a wait of %s s as %s", (seconds, phrase) => {
    expect(waitPhrase(seconds)).toBe(phrase);
  });

  it("returns after sign-in only to a path on this site", () => {
    expect(safeReturnPath("/w/abc/runs?page=2#top")).toBe("/w/abc/runs?page=2#top");
    expect(safeReturnPath("/orgs/x/members")).toBe("/orgs/x/members");
    for (const attack of [
      "//evil.example/x",
      "/\\evil.example",
      "https://evil.example/",
      "javascript:alert(1)",
      "/\tevil",
      "/%0d%0aSet-Cookie:x",
      "",
      "dashboard",
      "/sign-in?callbackUrl=//evil.example",
      "/api/trpc/x",
    ]) {
      const back = safeReturnPath(attack);
      expect(back.startsWith("/") && !back.startsWith("//"), attack).toBe(true);
      expect(new URL(back, "https://lockstep.example").origin).toBe("https://lockstep.example");
    }
    expect(safeReturnPath("//evil.example/x")).toBe("/dashboard");
    // Positive control: without the check, a browser resolves these to another origin.
    expect(new URL("//evil.example/x", "https://lockstep.example").origin).toBe("https://evil.example");
    expect(new URL("/\\evil.example", "https://lockstep.example").origin).toBe("https://evil.example");
    expect(safeReturnPath(42)).toBe("/dashboard");
  });

  it.each([
    ["Genomics Core", "genomics-core"],
    ["  Ünïcode  Lab!! ", "unicode-lab"],
    ["R&D", "r-d"],
  ])("slugifies %s", (name, slug) => {
    expect(slugify(name)).toBe(slug);
    expect(ZSlug.safeParse(slug).success).toBe(true);
  });

  it("rejects slugs with upper case or edge hyphens", () => {
    expect(ZSlug.safeParse("Bad").success).toBe(false);
    expect(ZSlug.safeParse("-bad").success).toBe(false);
  });
});
