import { describe, expect, expectTypeOf, it } from "vitest";
import {
  COMPUTE_ENV_KINDS,
  ComputeEnvConfigError,
  kindConfigOf,
  parseComputeEnv,
  sshSettingsOf,
  STORED_COMPUTE_ENV_CONFIGS,
  type TComputeEnvKind,
} from "./compute-env-config";
import { ZComputeEnvInput, ZSlurmConfig } from "./runs";

const CREDENTIAL = "8d5bd8a4-6f0e-4a0e-9a51-2d2f0c6c3b1e";

/** A row as it comes out of the database: `config` is whatever the column holds. */
function row(kind: TComputeEnvKind, config: unknown) {
  return {
    id: "3f0c1b7e-0000-4000-8000-000000000001",
    name: `The ${kind} one`,
    kind,
    workDir: "/data/work",
    env: { TZ: "UTC" },
    config,
  };
}

const SSH = {
  host: "login.cluster.example.org",
  credentialId: CREDENTIAL,
  launchDir: "/home/alice/lockstep",
  queue: "debug",
  headOptions: ["--time=60"],
};

/** What each kind stores: a config as the create form saves it (the input schema's output). */
const STORED: Record<TComputeEnvKind, unknown> = {
  local: {},
  slurm: { partition: "debug", sbatchOptions: ["--time=10"] },
  "aws-batch": {
    region: "eu-west-1",
    jobQueue: "lockstep",
    executionRoleArn: "arn:aws:iam::123456789012:role/batch-exec",
    headImage: "nextflow/nextflow:24.10.8",
    secretPrefix: "lockstep-",
    credentialId: CREDENTIAL,
  },
  "google-batch": {
    projectId: "my-project-123",
    region: "europe-west4",
    serviceAccount: "runner@my-project-123.iam.gserviceaccount.com",
    secretPrefix: "lockstep-",
    credentialId: CREDENTIAL,
  },
  "ssh-slurm": { ...SSH, port: 22, java: "java", nextflow: { mode: "stage" } },
  "ssh-lsf": { ...SSH, headOptions: ["-W 60"], port: 2222, java: "java", nextflow: { mode: "stage" } },
  "ssh-pbspro": {
    ...SSH,
    headOptions: [],
    port: 22,
    java: "/opt/java/bin/java",
    nextflow: { mode: "path", libDir: "/opt/nextflow/lib" },
  },
  "ssh-sge": { ...SSH, headOptions: [], port: 22, java: "java", nextflow: { mode: "stage" } },
};

/** The error parseComputeEnv throws for a row, or null when it parses. */
function failure(r: ReturnType<typeof row>): ComputeEnvConfigError | null {
  try {
    parseComputeEnv(r);
    return null;
  } catch (error) {
    if (error instanceof ComputeEnvConfigError) return error;
    throw error;
  }
}

describe("parseComputeEnv: a stored row narrowed by its kind", () => {
  it("knows every kind of the database enum", () => {
    expect(Object.keys(STORED_COMPUTE_ENV_CONFIGS).sort()).toEqual([...COMPUTE_ENV_KINDS].sort());
  });

  it.each(COMPUTE_ENV_KINDS)("a %s row keeps its settings and the rest of the row", (kind) => {
    const parsed = parseComputeEnv(row(kind, STORED[kind]));
    expect(parsed).toEqual(row(kind, STORED[kind]));
    expect(kindConfigOf(parsed)).toEqual({ kind, config: STORED[kind] });
  });

  it("what the create form stores is what a row of its kind parses to", () => {
    const input = ZComputeEnvInput.parse({
      name: "cluster",
      kind: "ssh-sge",
      workDir: "/scratch/alice/work",
      nextflowVersion: "24.10.8",
      config: { ...SSH, headOptions: [] },
    });
    expect(parseComputeEnv({ ...row("ssh-sge", input.config) }).config).toEqual(input.config);
  });

  it("narrows config by kind, for the types too", () => {
    const parsed = parseComputeEnv(row("aws-batch", STORED["aws-batch"]));
    if (parsed.kind !== "aws-batch") throw new Error(`narrowed to ${parsed.kind}`);
    expectTypeOf(parsed.config.region).toEqualTypeOf<string>();
    expectTypeOf(parsed.config.kmsKeyId).toEqualTypeOf<string | undefined>();
    expect(parsed.config.jobQueue).toBe("lockstep");
    expect(sshSettingsOf(parsed)).toBeNull();

    const ssh = parseComputeEnv(row("ssh-pbspro", STORED["ssh-pbspro"]));
    expect(sshSettingsOf(ssh)).toMatchObject({
      host: SSH.host,
      nextflow: { mode: "path", libDir: "/opt/nextflow/lib" },
    });
  });

  it("fills the defaults a row stored before a setting existed lacks, and drops keys no kind has", () => {
    expect(parseComputeEnv(row("slurm", {})).config).toEqual({ sbatchOptions: [] });
    expect(parseComputeEnv(row("local", { leftover: 1 })).config).toEqual({});
    const { port: _port, java: _java, nextflow: _nextflow, ...bare } = STORED["ssh-slurm"] as Record<string, unknown>;
    expect(parseComputeEnv(row("ssh-slurm", bare)).config).toMatchObject({
      port: 22,
      java: "java",
      nextflow: { mode: "stage" },
    });
  });

  it("holds host Slurm to its shape only: a row saved under older option rules reaches the launch check", () => {
    const old = { sbatchOptions: ["--time=10", "--output=/tmp/anywhere"] };
    // Positive control: today's input rules refuse that option...
    expect(ZSlurmConfig.safeParse(old).success).toBe(false);
    // ...but the stored row still narrows, so headEnvProblems can name it before a run starts.
    expect(parseComputeEnv(row("slurm", old)).config).toEqual(old);
  });
});

describe("parseComputeEnv: a corrupted row fails naming the environment and the field", () => {
  it.each([
    ["ssh-slurm", "config.port", { ...SSH, port: "22" }],
    ["ssh-lsf", "config.launchDir", { ...SSH, headOptions: ["-W 60"], launchDir: "relative/dir" }],
    ["ssh-sge", "config.nextflow.libDir", { ...SSH, headOptions: [], nextflow: { mode: "path" } }],
    ["aws-batch", "config.region", { ...(STORED["aws-batch"] as object), region: undefined }],
    ["google-batch", "config.credentialId", { ...(STORED["google-batch"] as object), credentialId: 7 }],
    ["slurm", "config.sbatchOptions.1", { sbatchOptions: ["--time=10", 3] }],
    ["slurm", "config.partition", { partition: ["debug"] }],
  ] as const)("a %s row with a broken %s fails naming it", (kind, field, config) => {
    const error = failure(row(kind, config));
    expect(error).toBeInstanceOf(ComputeEnvConfigError);
    expect(error?.message).toMatch(
      new RegExp(
        `^compute environment "The ${kind} one" \\(3f0c1b7e-0000-4000-8000-000000000001\\) has stored ${kind} settings`,
      ),
    );
    expect(error?.fields.map((f) => f.field)).toEqual([field]);
    expect(error?.message).toContain(`${field}: `);
  });

  it("a config of another kind does not pass for this one", () => {
    const error = failure(row("google-batch", STORED["aws-batch"]));
    expect(error?.fields.map((f) => f.field).sort()).toEqual([
      "config.projectId",
      "config.region",
      "config.serviceAccount",
    ]);
    // Positive control: the same settings under their own kind parse.
    expect(failure(row("aws-batch", STORED["aws-batch"]))).toBeNull();
  });

  it("a config that is no object at all fails on config itself", () => {
    expect(failure(row("local", null))?.fields).toEqual([{ field: "config", message: "Required." }]);
    expect(failure(row("ssh-slurm", "login.example.org"))?.fields.map((f) => f.field)).toEqual(["config"]);
  });

  it("a kind the database enum does not have fails on kind", () => {
    const error = failure({ ...row("local", {}), kind: "kubernetes" as TComputeEnvKind });
    expect(error?.fields).toEqual([{ field: "kind", message: "Not a compute environment kind." }]);
  });

  it("names the field, never the stored value", () => {
    const error = failure(row("ssh-slurm", { ...SSH, host: "not a host MARKER-7f3a", launchDir: "MARKER-9b1c" }));
    expect(error?.fields.map((f) => f.field)).toEqual(["config.host", "config.launchDir"]);
    expect(error?.message).not.toContain("MARKER");
  });
});
