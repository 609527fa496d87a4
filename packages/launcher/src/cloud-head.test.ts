import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cloudHeadCommand, cloudHeadFor, cloudNextflowConfig, HEAD_CONFIG_VAR, HEAD_PARAMS_VAR } from "./cloud-head";
import { nextflowArgs } from "./command";
import { ExecutorError, type TRunLaunch } from "./executor";

describe("cloud head command", () => {
  it("runs nextflow with the decoded config, a 0600 params file and every argument intact, through a real bash", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-head-"));
    // A stand-in `nextflow` on PATH that reports what it was given, the config, and the params file and its mode.
    writeFileSync(
      join(dir, "nextflow"),
      '#!/bin/sh\nprintf "ARG[%s]\\n" "$@"\necho "CONFIG:"; cat "$2"\nfor last; do :; done\necho "MODE:$(stat -c %a "$last")"\nprintf "PARAMS:%s\\n" "$(cat "$last")"\n',
    );
    chmodSync(join(dir, "nextflow"), 0o755);
    const args = nextflowArgs({
      pipeline: "https://github.com/org/pipe",
      runDir: "s3://bucket/runs/r1",
      workDir: "s3://bucket/runs/r1/work",
      runName: "lockstep-r1",
      place: "cloud",
    });
    const params = {
      greeting: "hello; $(touch pwned) 'q' \"d\" `id` ${projectDir}",
      option: "-process.beforeScript=touch pwned",
      lines: "a\nb",
      n: "3",
    };
    const { command, env } = cloudHeadCommand(
      { kind: "aws-batch", region: "eu-west-1", jobQueue: "queue-1" },
      args,
      params,
    );
    const out = execFileSync(command[0]!, command.slice(1), {
      env: { PATH: `${dir}:/usr/bin:/bin`, TMPDIR: dir, ...env },
      encoding: "utf8",
    });
    const received = [...out.matchAll(/^ARG\[([\s\S]*?)\]$/gm)].map((m) => m[1]);
    const paramsFile = join(dir, "lockstep-params.json");
    expect(received).toEqual(["-c", join(dir, "lockstep.config"), ...args, "-params-file", paramsFile]);
    expect(received.filter((a) => a!.startsWith("--"))).toEqual([]);
    expect(out).toContain("process.executor = 'awsbatch'\nprocess.queue = 'queue-1'\naws.region = 'eu-west-1'");
    expect(out).toContain("MODE:600\n");
    expect(JSON.parse(/^PARAMS:(.*)$/m.exec(out)![1]!)).toEqual({ ...params, n: 3 });
    expect(readFileSync(paramsFile, "utf8")).not.toContain("$");
    expect(existsSync(join(dir, "pwned"))).toBe(false);
    expect(args).not.toContain("-offline");
    expect(args).not.toContain("-log");
  });

  it("refuses to reuse a file already at the params path", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-head-"));
    writeFileSync(join(dir, "nextflow"), "#!/bin/sh\necho RAN\n");
    chmodSync(join(dir, "nextflow"), 0o755);
    writeFileSync(join(dir, "lockstep-params.json"), '{"planted":true}');
    const { command, env } = cloudHeadCommand({ kind: "aws-batch", region: "eu-west-1", jobQueue: "q" }, ["run", "x"], {
      a: "1",
    });
    const r = spawnSync(command[0]!, command.slice(1), {
      env: { PATH: `${dir}:/usr/bin:/bin`, TMPDIR: dir, ...env },
      encoding: "utf8",
    });
    expect(r.status).not.toBe(0);
    expect(r.stdout).not.toContain("RAN");
    // Positive control: the same command in a fresh directory starts the head.
    const fresh = mkdtempSync(join(tmpdir(), "lockstep-head-"));
    writeFileSync(join(fresh, "nextflow"), "#!/bin/sh\necho RAN\n");
    chmodSync(join(fresh, "nextflow"), 0o755);
    expect(
      execFileSync(command[0]!, command.slice(1), {
        env: { PATH: `${fresh}:/usr/bin:/bin`, TMPDIR: fresh, ...env },
        encoding: "utf8",
      }),
    ).toContain("RAN");
  });

  it("refuses params too large for one environment string", () => {
    const huge = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`p${i}`, "x".repeat(4096)]));
    expect(() =>
      cloudHeadCommand({ kind: "aws-batch", region: "eu-west-1", jobQueue: "q" }, ["run", "x"], huge),
    ).toThrow(/at most/);
  });

  it("writes Google Batch settings as Groovy literals that cannot be broken out of", () => {
    const config = cloudNextflowConfig({
      kind: "google-batch",
      projectId: "proj-1",
      region: "europe-west4",
      serviceAccount: "a'b@x.iam.gserviceaccount.com",
    });
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
  const target = {
    kind: "google-batch",
    projectId: "proj-1",
    region: "europe-west4",
    serviceAccount: "sa@proj-1.iam.gserviceaccount.com",
  } as const;

  it("layers the environment: the compute environment's, the provider's, then the config and Lockstep's flags, which win", () => {
    const { command, env } = cloudHeadFor(target, run);
    expect(env).toEqual({
      NXF_DEBUG: "1",
      GOOGLE_CLOUD_PROJECT: "proj-1",
      NXF_ANSI_LOG: "false",
      NXF_DISABLE_CHECK_LATEST: "true",
      [HEAD_CONFIG_VAR]: expect.any(String),
      [HEAD_PARAMS_VAR]: expect.any(String),
    });
    // The params travel in their own variable, never on the command line.
    expect(JSON.parse(Buffer.from(env[HEAD_PARAMS_VAR]!, "base64").toString("utf8"))).toEqual({ n: 1 });
    expect(command).not.toContain("--n");
    expect(Buffer.from(env[HEAD_CONFIG_VAR]!, "base64").toString("utf8")).toContain(
      "process.executor = 'google-batch'",
    );
    expect(command.slice(3, 6)).toEqual(["lockstep-head", "run", "https://github.com/org/pipe"]);
    expect(command).toContain("gs://bucket/runs/r1/work");
  });

  it("refuses, permanently, a local path and a run name Nextflow would not take", () => {
    for (const bad of [
      { ...run, pipeline: "/srv/pipelines/p" },
      { ...run, runName: "Bad Name" },
    ]) {
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

describe("cloud head with nf-lockstep", () => {
  it("writes the jar to a 0600 file, drops it from the environment and runs the image's Nextflow jar with it on the class path", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-head-ext-"));
    const home = join(dir, "nxf");
    execFileSync("mkdir", ["-p", join(home, "framework", "24.10.8"), join(dir, "bin"), join(dir, "tmp")]);
    writeFileSync(join(home, "framework", "24.10.8", "nextflow-24.10.8-one.jar"), "");
    // A stand-in `java` that reports its class path, the jar's bytes and mode, and whether the jar variable survived.
    writeFileSync(
      join(dir, "bin", "java"),
      '#!/bin/sh\nwhile [ "$1" != "-cp" ]; do shift; done\nshift\necho "CP:$1"\next="${1##*:}"\necho "JAR:$(cat "$ext") MODE:$(stat -c %a "$ext")"\necho "LEFT:${LOCKSTEP_NXF_EXT:-unset}"\nshift\nprintf "ARG[%s]\\n" "$@"\n',
    );
    writeFileSync(join(dir, "bin", "nextflow"), "#!/bin/sh\necho STOCK-NEXTFLOW\n");
    chmodSync(join(dir, "bin", "java"), 0o755);
    chmodSync(join(dir, "bin", "nextflow"), 0o755);
    const target = { kind: "aws-batch", region: "eu-west-1", jobQueue: "q" } as const;
    const { command, env } = cloudHeadCommand(
      target,
      ["run", "x"],
      {},
      { extensionJar: Buffer.from("JARBYTES"), manifest: "bWFuaWZlc3Q=" },
    );
    expect(env.LOCKSTEP_SECRETS_MANIFEST).toBe("bWFuaWZlc3Q=");
    const out = execFileSync(command[0]!, command.slice(1), {
      env: { ...env, PATH: `${join(dir, "bin")}:/usr/bin:/bin`, NXF_HOME: home, TMPDIR: join(dir, "tmp") },
      encoding: "utf8",
    });
    expect(out).toContain(
      `CP:${join(home, "framework", "24.10.8", "nextflow-24.10.8-one.jar")}:${join(dir, "tmp", "nf-lockstep.jar")}`,
    );
    expect(out).toContain("JAR:JARBYTES MODE:600");
    expect(out).toContain("LEFT:unset");
    expect(out).toContain("ARG[nextflow.cli.Launcher]\nARG[-c]");
    expect(out).not.toContain("STOCK-NEXTFLOW");

    // Without nf-lockstep: the image's `nextflow`, as before.
    const plain = cloudHeadCommand(target, ["run", "x"], {});
    expect(Object.keys(plain.env)).toEqual([HEAD_CONFIG_VAR, HEAD_PARAMS_VAR]);
    const tmp2 = mkdtempSync(join(dir, "tmp2-"));
    expect(
      execFileSync(plain.command[0]!, plain.command.slice(1), {
        env: { ...plain.env, PATH: `${join(dir, "bin")}:/usr/bin:/bin`, TMPDIR: tmp2 },
        encoding: "utf8",
      }),
    ).toContain("STOCK-NEXTFLOW");
  });

  it("fails clearly when the head image has no Nextflow jar", () => {
    const dir = mkdtempSync(join(tmpdir(), "lockstep-head-nojar-"));
    const { command, env } = cloudHeadCommand(
      { kind: "aws-batch", region: "eu-west-1", jobQueue: "q" },
      ["run", "x"],
      {},
      { extensionJar: Buffer.from("J"), manifest: "m" },
    );
    const r = spawnSync(command[0]!, command.slice(1), {
      env: { ...env, PATH: "/usr/bin:/bin", NXF_HOME: join(dir, "none"), TMPDIR: dir },
      encoding: "utf8",
    });
    expect(r.status).toBe(127);
    expect(r.stderr).toContain("the head image must have Nextflow installed");
  });
});
