import { describe, expect, it } from "vitest";
import { slugify, ZEmail, ZPassword, ZSlug } from "./identity";

describe("identity inputs", () => {
  it("normalises emails and rejects malformed ones with a readable message", () => {
    expect(ZEmail.parse("  Ada@Example.ORG ")).toBe("ada@example.org");
    expect(ZEmail.safeParse("ada@").error?.issues[0]?.message).toBe("Enter an email address like ada@example.org.");
  });

  it("asks for at least 10 password characters", () => {
    expect(ZPassword.safeParse("short").error?.issues[0]?.message).toBe("Password must be at least 10 characters.");
    expect(ZPassword.safeParse("correct horse").success).toBe(true);
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
