import { describe, expect, it } from "vitest";
import {
  credentialProblem,
  isSecretsSettled,
  isTerminalRunStatus,
  RUN_STATUSES,
  SECRETS_STATES,
  SETTLED_SECRETS_STATES,
  TERMINAL_RUN_STATUSES,
  ZComputeEnvInput,
  ZEnvVars,
  ZLocalPipelineRoots,
  ZPipelineInput,
} from "./runs";

describe("compute environment input", () => {
  const local = { kind: "local", name: "Laptop", workDir: "/srv/lockstep", nextflowVersion: "24.10.5" } as const;

  it("accepts a local environment with defaults", () => {
    expect(ZComputeEnvInput.parse(local)).toMatchObject({ env: {}, maxRunSeconds: 86_400, config: {} });
  });

  it.each([
    [{ ...local, workDir: "relative/dir" }, "workDir", /absolute path/],
    [{ ...local, workDir: "/srv/../etc" }, "workDir", /'\.\.'/],
    [{ ...local, nextflowVersion: "latest" }, "nextflowVersion", /Nextflow release/],
    [{ ...local, maxRunSeconds: 5 }, "maxRunSeconds", /at least 60/],
  ])("names the field and rule for %o", (input, field, message) => {
    const issue = ZComputeEnvInput.safeParse(input).error?.issues[0];
    expect(issue?.path[0]).toBe(field);
    expect(issue?.message).toMatch(message);
  });

  it("refuses sbatch options that could inject shell or override the script", () => {
    const slurm = { ...local, kind: "slurm", config: { sbatchOptions: ["--mem=4G", "--wrap='rm -rf /'"] } };
    expect(ZComputeEnvInput.safeParse(slurm).error?.issues[0]?.message).toMatch(/--wrap is not allowed/);
    expect(
      ZComputeEnvInput.parse({ ...slurm, config: { partition: "debug", sbatchOptions: ["--mem=4G", "--qos=normal"] } })
        .config,
    ).toEqual({
      partition: "debug",
      sbatchOptions: ["--mem=4G", "--qos=normal"],
    });
  });

  it("keeps the variables that deliver secrets under Lockstep's control", () => {
    expect(ZEnvVars.safeParse({ NXF_SECRETS_FILE: "/tmp/x" }).error?.issues[0]?.message).toMatch(/set by Lockstep/);
    expect(ZEnvVars.safeParse({ "BAD-NAME": "x" }).error?.issues[0]?.message).toMatch(
      /not a valid environment variable name/,
    );
    // NXF_OPTS is Java VM options for the head (issue 11): refused, with the reason.
    expect(ZEnvVars.safeParse({ NXF_OPTS: "-Xmx1g" }).error?.issues[0]?.message).toMatch(/Nextflow starts/);
    expect(ZEnvVars.parse({ NXF_SINGULARITY_CACHEDIR: "/scratch/images" })).toEqual({
      NXF_SINGULARITY_CACHEDIR: "/scratch/images",
    });
  });
});

describe("pipeline input", () => {
  it("accepts https repositories and absolute paths only", () => {
    expect(ZPipelineInput.safeParse({ name: "p", repository: "https://github.com/nf-core/rnaseq" }).success).toBe(true);
    expect(ZPipelineInput.safeParse({ name: "p", repository: "/pipelines/hello" }).success).toBe(true);
    expect(ZPipelineInput.safeParse({ name: "p", repository: "git@github.com:x/y" }).error?.issues[0]?.message).toMatch(
      /https:\/\//,
    );
  });
});

describe("LOCKSTEP_LOCAL_PIPELINE_ROOTS", () => {
  it("reads colon-separated absolute paths; unset means none", () => {
    expect(ZLocalPipelineRoots.parse(undefined)).toEqual([]);
    expect(ZLocalPipelineRoots.parse("/srv/pipelines")).toEqual(["/srv/pipelines"]);
    expect(ZLocalPipelineRoots.parse("/srv/pipelines/:/data/nf")).toEqual(["/srv/pipelines", "/data/nf"]);
  });

  it.each([
    ["relative/dir", /absolute paths/],
    ["/srv/a::/srv/b", /empty entry/],
    ["/srv/a:", /empty entry/],
    ["/srv/../etc", /'\.\.'/],
  ])("refuses %s with a message naming the variable", (value, message) => {
    const issue = ZLocalPipelineRoots.safeParse(value).error?.issues[0]?.message;
    expect(issue).toMatch(/^LOCKSTEP_LOCAL_PIPELINE_ROOTS /);
    expect(issue).toMatch(message);
  });
});

describe("cloud compute environments and credentials", async () => {
  const { credentialProblem } = await import("./runs");
  const aws = {
    kind: "aws-batch",
    name: "AWS",
    workDir: "s3://my-bucket/work",
    nextflowVersion: "24.10.8",
    config: {
      region: "eu-west-1",
      jobQueue: "q",
      executionRoleArn: "arn:aws:iam::123456789012:role/batch-exec",
      headImage: "nextflow/nextflow:24.10.8",
      credentialId: "00000000-0000-4000-8000-000000000000",
    },
  } as const;

  it("accepts an aws-batch environment with the default secret prefix", () => {
    expect(ZComputeEnvInput.parse(aws).config).toMatchObject({ secretPrefix: "lockstep-" });
    expect(ZComputeEnvInput.safeParse({ ...aws, workDir: "/local" }).error?.issues[0]?.message).toMatch(/s3:\/\//);
  });

  it("checks credential JSON without echoing it", () => {
    expect(
      credentialProblem(
        "aws",
        '{"accessKeyId":"AKIAABCDEFGHIJKLMNOP","secretAccessKey":"0123456789abcdef0123456789abcdef"}',
      ),
    ).toBeNull();
    expect(credentialProblem("aws", '{"roleArn":"arn:aws:iam::123456789012:role/lockstep"}')).toBeNull();
    const problem = credentialProblem("aws", '{"accessKeyId":"nope-MARKER","secretAccessKey":"x"}');
    expect(problem).toMatch(/^value: /);
    expect(problem).not.toContain("MARKER");
    expect(credentialProblem("google", "not json")).toBe("value: Paste the JSON key file (this is not JSON).");
    expect(
      credentialProblem(
        "google",
        '{"type":"service_account","project_id":"p","private_key":"k","client_email":"a@b.iam.gserviceaccount.com"}',
      ),
    ).toBeNull();
  });
});

describe("run statuses", () => {
  it("one list: terminal and settled states are members of it, and the predicates agree with the lists", () => {
    expect(RUN_STATUSES.filter(isTerminalRunStatus)).toEqual([...TERMINAL_RUN_STATUSES]);
    expect(RUN_STATUSES.filter((s) => !isTerminalRunStatus(s))).toEqual(["SUBMITTED", "RUNNING"]);
    expect(SECRETS_STATES.filter(isSecretsSettled)).toEqual([...SETTLED_SECRETS_STATES]);
    expect(SECRETS_STATES.filter((s) => !isSecretsSettled(s))).toEqual(["PENDING", "PROVISIONED", "DELETING"]);
  });
});

describe("SSH cluster compute environments", () => {
  const ssh = {
    name: "cluster",
    kind: "ssh-slurm",
    workDir: "/scratch/alice/work",
    nextflowVersion: "24.10.8",
    config: {
      host: "login.cluster.example.org",
      credentialId: "8d5bd8a4-6f0e-4a0e-9a51-2d2f0c6c3b1e",
      launchDir: "/home/alice/lockstep",
      queue: "debug",
      headOptions: ["--time=60"],
    },
  };

  it("takes a login node, a launch directory, a queue and allowed head options, with defaults for port, Java and Nextflow", () => {
    expect(ZComputeEnvInput.parse(ssh).config).toEqual({
      ...ssh.config,
      port: 22,
      java: "java",
      nextflow: { mode: "stage" },
    });
  });

  it("refuses a head option outside the scheduler's allowlist, naming the field", () => {
    const issue = ZComputeEnvInput.safeParse({
      ...ssh,
      config: { ...ssh.config, headOptions: ["--time=60", "--wrap=id"] },
    }).error?.issues[0];
    expect(issue?.path).toEqual(["config", "headOptions", 1]);
  });

  it("checks options by the kind's own scheduler: an LSF option is not a Slurm one", () => {
    expect(ZComputeEnvInput.safeParse({ ...ssh, config: { ...ssh.config, headOptions: ["-W 60"] } }).success).toBe(
      false,
    );
  });

  it("refuses a host that is not a host name, and a fingerprint that is not OpenSSH's SHA256", () => {
    expect(
      ZComputeEnvInput.safeParse({ ...ssh, config: { ...ssh.config, host: "login; rm -rf /" } }).error?.issues[0]?.path,
    ).toEqual(["config", "host"]);
    expect(
      ZComputeEnvInput.safeParse({ ...ssh, config: { ...ssh.config, hostKeySha256: "MD5:aa:bb" } }).error?.issues[0]
        ?.path,
    ).toEqual(["config", "hostKeySha256"]);
  });
});

describe("SSH credentials", () => {
  const key = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
  it("takes an account and a private key, optionally a passphrase", () => {
    expect(credentialProblem("ssh", JSON.stringify({ user: "alice", privateKey: key }))).toBeNull();
    expect(credentialProblem("ssh", JSON.stringify({ user: "alice", privateKey: key, passphrase: "p" }))).toBeNull();
  });
  it("names the field and never repeats the value", () => {
    const problem = credentialProblem("ssh", JSON.stringify({ user: "alice", privateKey: "not-a-key-marker-123" }))!;
    expect(problem).toMatch(/^value: privateKey: /);
    expect(problem).not.toContain("not-a-key-marker-123");
  });
});
