import { describe, expect, it } from "vitest";
import { storeKey } from "./runtime";

describe("storeKey", () => {
  it("lists a store once however many compute environments or runs share it", () => {
    const file = (runDir: string) => ({
      provider: "nextflow-file" as const,
      runsDir: "/runs",
      runDir,
      secretsDir: `${runDir}/secrets`,
      runUid: null,
    });
    expect(storeKey(file("/runs/a"))).toBe(storeKey(file("/runs/b")));
    const aws = {
      provider: "aws-secrets-manager" as const,
      region: "eu-west-1",
      prefix: "lockstep-",
      credentialId: "c1",
    };
    expect(storeKey(aws)).toBe(storeKey({ ...aws, kmsKeyId: "k" }));
  });
  it("tells stores apart by what locates them: directory, account, region, project, prefix", () => {
    const aws = {
      provider: "aws-secrets-manager" as const,
      region: "eu-west-1",
      prefix: "lockstep-",
      credentialId: "c1",
    };
    const google = {
      provider: "google-secret-manager" as const,
      projectId: "p1",
      region: "europe-west4",
      prefix: "lockstep-",
      credentialId: "c1",
    };
    const keys = [
      storeKey({
        provider: "nextflow-file",
        runsDir: "/runs",
        runDir: "/runs/a",
        secretsDir: "/runs/a/secrets",
        runUid: null,
      }),
      storeKey({
        provider: "nextflow-file",
        runsDir: "/other",
        runDir: "/other/a",
        secretsDir: "/other/a/secrets",
        runUid: null,
      }),
      storeKey(aws),
      storeKey({ ...aws, region: "us-east-1" }),
      storeKey({ ...aws, prefix: "team-" }),
      storeKey({ ...aws, credentialId: "c2" }),
      storeKey(google),
      storeKey({ ...google, projectId: "p2" }),
    ];
    expect(new Set(keys).size).toBe(keys.length);
  });
});
