import { describe, expect, it } from "vitest";
import { z } from "zod";
import {
  credentialProblem,
  ZAwsBatchConfig,
  ZComputeEnvInput,
  ZDescription,
  ZDisplayName,
  ZEmail,
  ZEnvName,
  ZGoogleBatchConfig,
  ZId,
  ZParams,
  ZPassword,
  ZPipelineInput,
  ZSecretName,
  ZSecretSelection,
  ZSlug,
  ZTokenName,
} from "./index";

/** One style: a sentence for a person — capital first, full stop last — never a zod default. */
const STYLE = /^["A-Z].*[.]$/s;
const ZOD_DEFAULTS = /Too (big|small)|expected|Invalid (input|option|string|type|UUID|email)|received|<=|>=/i;

const long = (n: number) => "x".repeat(n);
const local = { kind: "local", name: "Local", workDir: "/data/lockstep", nextflowVersion: "24.10.5" };
const aws = {
  kind: "aws-batch",
  name: "AWS",
  workDir: "s3://bucket/work",
  nextflowVersion: "24.10.5",
  config: {
    region: "eu-west-1",
    jobQueue: "q",
    executionRoleArn: "arn:aws:iam::123456789012:role/r",
    headImage: "nextflow/nextflow:24.10.5",
    credentialId: "00000000-0000-4000-8000-000000000000",
  },
};
const google = {
  kind: "google-batch",
  name: "GCP",
  workDir: "gs://bucket/work",
  nextflowVersion: "24.10.5",
  config: {
    projectId: "my-project-123",
    region: "europe-west4",
    serviceAccount: "a@b.iam.gserviceaccount.com",
    credentialId: "00000000-0000-4000-8000-000000000000",
  },
};

const cases: Array<[string, z.ZodType, unknown]> = [
  ["display name, empty", ZDisplayName, "  "],
  ["display name, 101 characters", ZDisplayName, long(101)],
  ["description, too long", ZDescription, long(1001)],
  ["slug, too short", ZSlug, "a"],
  ["slug, bad characters", ZSlug, "A B"],
  ["email", ZEmail, "nope"],
  ["password, short", ZPassword, "short"],
  ["token name, too long", ZTokenName, long(101)],
  ["id", ZId, "nope"],
  ["secret name", ZSecretName, "9x"],
  ["secret name, too long", ZSecretName, `A${long(100)}`],
  ["env name", ZEnvName, "BAD-NAME"],
  ["work directory /", ZComputeEnvInput, { ...local, workDir: "/" }],
  ["work directory empty", ZComputeEnvInput, { ...local, workDir: "" }],
  ["work directory relative", ZComputeEnvInput, { ...local, workDir: "relative" }],
  ["work directory with ..", ZComputeEnvInput, { ...local, workDir: "/a/../b" }],
  ["work directory too long", ZComputeEnvInput, { ...local, workDir: `/${long(1100)}` }],
  ["compute env name too long", ZComputeEnvInput, { ...local, name: long(101) }],
  ["compute env name empty", ZComputeEnvInput, { ...local, name: "" }],
  ["nextflow version", ZComputeEnvInput, { ...local, nextflowVersion: "latest" }],
  ["max run seconds", ZComputeEnvInput, { ...local, maxRunSeconds: 5 }],
  ["env value too long", ZComputeEnvInput, { ...local, env: { A: long(5000) } }],
  ["slurm partition", ZComputeEnvInput, { ...local, kind: "slurm", config: { partition: "a b" } }],
  [
    "slurm options, too many",
    ZComputeEnvInput,
    { ...local, kind: "slurm", config: { sbatchOptions: Array.from({ length: 21 }, () => "--mem=1G") } },
  ],
  ["aws region", ZAwsBatchConfig, { ...aws.config, region: "Europe" }],
  ["aws job queue empty", ZAwsBatchConfig, { ...aws.config, jobQueue: "" }],
  ["aws role", ZAwsBatchConfig, { ...aws.config, executionRoleArn: "role" }],
  ["aws head image too long", ZAwsBatchConfig, { ...aws.config, headImage: long(600) }],
  ["aws credentials not chosen", ZAwsBatchConfig, { ...aws.config, credentialId: "" }],
  ["aws prefix", ZAwsBatchConfig, { ...aws.config, secretPrefix: "a b" }],
  ["aws work dir", ZComputeEnvInput, { ...aws, workDir: "/local" }],
  ["google project", ZGoogleBatchConfig, { ...google.config, projectId: "X" }],
  ["google region", ZGoogleBatchConfig, { ...google.config, region: "Europe West" }],
  ["google service account", ZGoogleBatchConfig, { ...google.config, serviceAccount: "nope" }],
  ["google machine type", ZGoogleBatchConfig, { ...google.config, machineType: "E2 big" }],
  ["google work dir", ZComputeEnvInput, { ...google, workDir: "s3://x/y" }],
  ["pipeline name too long", ZPipelineInput, { name: long(101), repository: "/srv/p" }],
  ["pipeline repository", ZPipelineInput, { name: "p", repository: "git@github.com:x/y" }],
  ["pipeline repository too long", ZPipelineInput, { name: "p", repository: `https://${long(1100)}` }],
  ["pipeline revision", ZPipelineInput, { name: "p", repository: "/srv/p", revision: "a b" }],
  ["pipeline compute env", ZPipelineInput, { name: "p", repository: "/srv/p", defaultComputeEnvId: "nope" }],
  ["param name", ZParams, { "a b": "x" }],
  ["param value too long", ZParams, { a: long(5000) }],
  [
    "secret selection, too many",
    ZSecretSelection,
    { mode: "selected", names: Array.from({ length: 201 }, (_, i) => `S_${i}`) },
  ],
];

describe("messages people read", () => {
  it.each(cases)("%s: a sentence for a person, never a zod default", (_label, schema, input) => {
    const result = schema.safeParse(input);
    expect(result.success).toBe(false);
    for (const issue of result.error!.issues) {
      expect(issue.message).toMatch(STYLE);
      expect(issue.message).not.toMatch(ZOD_DEFAULTS);
    }
  });

  it("names the rule the three reported messages broke, on their own field", () => {
    const root = ZComputeEnvInput.safeParse({ ...local, workDir: "/" }).error!.issues[0]!;
    expect([root.path.join("."), root.message]).toEqual([
      "workDir",
      "Choose a directory below /, such as /data/lockstep.",
    ]);
    expect(ZDisplayName.safeParse(long(101)).error!.issues[0]!.message).toBe("Name must be at most 100 characters.");
    expect(credentialProblem("aws", JSON.stringify({ accessKeyId: "not-a-key", secretAccessKey: long(20) }))).toBe(
      "value: accessKeyId: The access key id starts with AKIA or ASIA, then upper-case letters and digits.",
    );
  });

  it("refuses over-long input with an error rather than cutting it", () => {
    for (const schema of [ZDisplayName, ZTokenName]) {
      const result = schema.safeParse(long(101));
      expect(result.success).toBe(false);
      expect(result.error!.issues[0]!.message).toMatch(/at most 100 characters\.$/);
    }
    // 100 is still fine, kept whole.
    expect(ZDisplayName.parse(long(100))).toHaveLength(100);
  });

  it("gives schemas written elsewhere (no message of their own) the same style", () => {
    const bare = z.object({
      name: z.string().max(100),
      n: z.number().int().min(1),
      id: z.uuid(),
      tags: z.array(z.string()).max(2),
      req: z.string(),
    });
    const issues = bare.safeParse({ name: long(101), n: 0, id: "x", tags: ["a", "b", "c"] }).error!.issues;
    expect(Object.fromEntries(issues.map((i) => [i.path.join("."), i.message]))).toEqual({
      name: "Must be at most 100 characters.",
      n: "Must be at least 1.",
      id: "Choose one from the list.",
      tags: "At most 2 entries.",
      req: "Required.",
    });
  });

  it("credential messages follow the style and never quote the value", () => {
    for (const [provider, text] of [
      ["aws", "not json MARKER"],
      ["aws", "{}"],
      ["aws", JSON.stringify({ accessKeyId: "AKIAABCDEFGHIJKLMNOP", secretAccessKey: "MARKER" })],
      ["aws", JSON.stringify({ roleArn: "MARKER" })],
      ["google", JSON.stringify({ type: "MARKER" })],
      [
        "google",
        JSON.stringify({ type: "service_account", project_id: "p", private_key: "k", client_email: "MARKER" }),
      ],
    ] as const) {
      const problem = credentialProblem(provider, text)!;
      expect(problem).toMatch(/^value: /);
      const message = problem.replace(/^value: (?:[A-Za-z_]+: )?/, "");
      expect(message).toMatch(STYLE);
      expect(message).not.toMatch(ZOD_DEFAULTS);
      expect(problem).not.toContain("MARKER");
    }
  });
});
