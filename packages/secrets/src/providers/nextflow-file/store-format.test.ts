import { describe, expect, it } from "vitest";
import { renderSecretsStore } from "./store-format";

describe("Nextflow secrets store format", () => {
  it("writes the array of name/value objects Nextflow reads", () => {
    const text = renderSecretsStore([
      { name: "DB_PASSWORD", value: "p@ss$word 'quoted'" },
      { name: "API_TOKEN", value: "é✓" },
    ]);
    expect(JSON.parse(text)).toEqual([
      { name: "DB_PASSWORD", value: "p@ss$word 'quoted'" },
      { name: "API_TOKEN", value: "é✓" },
    ]);
  });

  it("refuses two secrets with one name, naming the name but not the values", () => {
    expect(() =>
      renderSecretsStore([
        { name: "A_B", value: "first-marker" },
        { name: "A_B", value: "second-marker" },
      ]),
    ).toThrow(/^duplicate secret name A_B in one run$/);
  });
});
