import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cloudHeadCommand, cloudHeadFor, cloudNextflowConfig, HEAD_CONFIG_VAR } from "./cloud-head";
import { nextflowArgs } from "./command";
import { ExecutorError, type TRunLaunch } from "./executor";

describe("cloud head command", () => {
  it("runs nextflow with the decoded config and every argument intact, through a real bash", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-head-"));
    // A stand-in `nextflow` on PATH that reports what it was given.
    writeFileSync(join(dir, "nextflow"), '#!/bin/sh\nprintf "ARG[%s]\\n" "$@"\necho "CONFIG:"; cat "$2"\n');
    chmodSync(join(dir, "nextflow"), 0o755);
    const args = nextflowArgs({
      pipeline: "https://github.com/org/pipe",
      runDir: "s3://bucket/runs/r1",
      workDir: "s3://bucket/runs/r1/work",
      params: { greeting: "hello; $(touch pwned) 'q' \"d\"" },
      runName: "lockstep-r1",
      place: "cloud",
    });
    const { command, env } = cloudHeadCommand({ kind: "aws-batch", region: "eu-west-1", jobQueue: "queue-1" }, args);
    const out = execFileSync(command[0]!, command.slice(1), { env: { PATH: `${dir}:/usr/bin:/bin`, TMPDIR: dir, ...env }, encoding: "utf8" });
    const received = [...out.matchAll(/^ARG\[([\s\S]*?)\]$/gm)].map((m) => m[1]);
    expect(received).toEqual(["-c", join(dir, "lockstep.config"), ...args]);
    expect(out).toContain("process.executor = 'awsbatch'\nprocess.queue = 'queue-1'\naws.region = 'eu-west-1'");
    expect(args).not.toContain("-offline");
    expect(args).not.toContain("-log");
  });

  it("writes Google Batch settings as Groovy literals that cannot be broken out of", () => {
    const config = cloudNextflowConfig({ kind: "google-batch", projectId: "proj-1", region: "europe-west4", serviceAccount: "a'b@x.iam.gserviceaccount.com" });
    expect(config).toContain("process.executor = 'google-batch'");
    expect(config).toContain("google.location = 'europe-west4'");
    expect(config).toContain("google.batch.serviceAccountEmail = 'a\\'b@x.iam.gserviceaccount.com'");
  });
});

describe("cloud head for a run", () => {
  const run: TRunLaunch = {
    runId: "00000000-0000-4000-8000-000000000001",
    runDir: "gs://bucket/runs/r1",
    pipeline: "https://github.com/org/pipe",
    params: { n: 1 },
    runName: "lockstep-r1",
    nextflowVersion: "24.10.8",
    env: { NXF_DEBUG: "1", NXF_ANSI_LOG: "true", [HEAD_CONFIG_VAR]: "from the compute environment" },
    secretsEnv: { GOOGLE_CLOUD_PROJECT: "proj-1" },
    secretBindings: [],
  };
  const target = { kind: "google-batch", projectId: "proj-1", region: "europe-west4", serviceAccount: "sa@proj-1.iam.gserviceaccount.com" } as const;

  it("layers the environment: the compute environment's, the provider's, then the config and Lockstep's flags, which win", () => {
    const { command, env } = cloudHeadFor(target, run);
    expect(env).toEqual({ NXF_DEBUG: "1", GOOGLE_CLOUD_PROJECT: "proj-1", NXF_ANSI_LOG: "false", NXF_DISABLE_CHECK_LATEST: "true", [HEAD_CONFIG_VAR]: expect.any(String) });
    expect(Buffer.from(env[HEAD_CONFIG_VAR]!, "base64").toString("utf8")).toContain("process.executor = 'google-batch'");
    expect(command.slice(3, 6)).toEqual(["lockstep-head", "run", "https://github.com/org/pipe"]);
    expect(command).toContain("gs://bucket/runs/r1/work");
  });

  it("refuses, permanently, a local path and a run name Nextflow would not take", () => {
    for (const bad of [{ ...run, pipeline: "/srv/pipelines/p" }, { ...run, runName: "Bad Name" }]) {
      let thrown: unknown;
      try {
        cloudHeadFor(target, bad);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(ExecutorError);
      expect((thrown as ExecutorError).retryable).toBe(false);
    }
  });
});
