import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cloudHeadCommand, cloudNextflowConfig } from "./cloud-head";
import { nextflowArgs } from "./command";

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
