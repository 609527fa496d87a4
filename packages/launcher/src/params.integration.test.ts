import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cloudHeadCommand } from "./cloud-head";
import { nextflowArgs } from "./command";
import { installNextflow, NEXTFLOW_VERSION, nextflowJavaCommand } from "./nextflow-dist";
import { writeParamsFile } from "./params";

/**
 * Params reach the pipeline unchanged through the real pinned Nextflow, on the host path
 * (writeParamsFile + nextflowArgs) and the cloud path (the head prologue through bash); and the
 * attack from issue 11 — a value that Nextflow's command line read as `-process.beforeScript` —
 * works against the old `--name value` form (positive control) and not against the params file.
 */
const root = mkdtempSync(join(tmpdir(), "lockstep-params-it-"));
const marker = join(root, "PWNED");
let java: string[] = [];

// Records each param's SHA-256 and type, and the whole map, from the pipeline's own view; one
// task runs so that a process-level injection (beforeScript) would have something to run in.
const PIPELINE = `
import groovy.json.JsonOutput
import java.security.MessageDigest

def sha(v) { MessageDigest.getInstance('SHA-256').digest(v.toString().getBytes('UTF-8')).encodeHex().toString() }

process TASK {
    output: stdout
    script: "echo task ran"
}

workflow {
    TASK()
    def seen = [:]
    params.each { k, v -> seen[k] = [sha: sha(v), type: v.getClass().simpleName] }
    file("\${launchDir}/received.json").text = JsonOutput.toJson([params: seen, map: params])
}
`;

const hostile = {
  // No space: Nextflow's command line reads such a value after `--option` as an option of its own.
  option: `-process.beforeScript=(id)>${marker}`,
  spacedOption: `-process.beforeScript=touch ${marker}`,
  dash: "-",
  quotes: `it's "double" \`tick\` 'single'`,
  substitutions: `$(touch ${marker}) ${"${projectDir}"} ${"${launchDir}"} ${"${HOME}"} $HOME \\n \\`,
  lines: "line1\nline2\r\n\ttab\u0007",
  unicode: "é 日本 🧪",
  spaces: "  padded  ",
  empty: "",
  lead0: "007",
  upper: "TRUE",
};

const sha = (v: string) => createHash("sha256").update(v, "utf8").digest("hex");

function runNextflow(argv: string[], cwd: string, env: Record<string, string> = {}) {
  const r = spawnSync(argv[0]!, argv.slice(1), {
    cwd,
    encoding: "utf8",
    timeout: 180_000,
    env: {
      PATH: process.env.PATH ?? "/usr/bin:/bin",
      HOME: cwd,
      NXF_HOME: join(cwd, ".nextflow"),
      NXF_OFFLINE: "true",
      NXF_PLUGINS_DEFAULT: "false",
      NXF_DISABLE_CHECK_LATEST: "true",
      ...env,
    },
  });
  if (r.status !== 0) throw new Error(`nextflow exited ${r.status}: ${(r.stdout + r.stderr).slice(-2000)}`);
  return JSON.parse(readFileSync(join(cwd, "received.json"), "utf8")) as {
    params: Record<string, { sha: string; type: string }>;
    map: Record<string, unknown>;
  };
}

function freshDir(name: string) {
  const dir = join(root, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "main.nf"), PIPELINE);
  return dir;
}

function expectUnchanged(received: Record<string, { sha: string; type: string }>) {
  for (const [name, value] of Object.entries(hostile)) {
    expect(received[name], name).toEqual({ sha: sha(value), type: "String" });
  }
}

beforeAll(() => {
  java = nextflowJavaCommand(installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION));
}, 600_000);

describe("params through the real Nextflow", () => {
  it(
    "positive control: the old `--name value` form lets a value become a Nextflow option",
    { timeout: 200_000 },
    () => {
      const dir = freshDir("old-cli");
      const old = [
        "-log",
        join(dir, "nextflow.log"),
        "run",
        join(dir, "main.nf"),
        "-name",
        "old-cli",
        "-work-dir",
        join(dir, "work"),
        "-offline",
        "-ansi-log",
        "false",
        "--option",
        hostile.option,
      ];
      runNextflow([...java, ...old], dir);
      expect(existsSync(marker)).toBe(true); // the beforeScript ran in the task: this is the attack
      expect(readFileSync(marker, "utf8")).toMatch(/^uid=/);
    },
  );

  it("host: every value reaches the pipeline unchanged and none becomes an option", { timeout: 200_000 }, async () => {
    const dir = freshDir("host");
    rmSync(marker, { force: true });
    const paramsFile = await writeParamsFile(dir, {
      ...hostile,
      n: "42",
      flag: "true",
      typed: 7,
      "nested.inner-name": "x",
    });
    expect(statSync(paramsFile).mode & 0o777).toBe(0o600);
    const args = nextflowArgs({
      pipeline: join(dir, "main.nf"),
      runDir: dir,
      workDir: join(dir, "work"),
      runName: "host-params",
      paramsFile,
    });
    const received = runNextflow([...java, ...args], dir);
    expectUnchanged(received.params);
    expect(received.params.n).toEqual({ sha: sha("42"), type: "Integer" });
    expect(received.params.flag).toEqual({ sha: sha("true"), type: "Boolean" });
    expect(received.params.typed).toEqual({ sha: sha("7"), type: "Integer" });
    expect(received.map.nested).toEqual({ innerName: "x" });
    expect(existsSync(marker)).toBe(false);
  });

  it("cloud: the head prologue hands the same params file to Nextflow", { timeout: 200_000 }, () => {
    const dir = freshDir("cloud");
    rmSync(marker, { force: true });
    // Stands in for the head image's `nextflow`: drops the Batch config (`-c <file>`: no cloud here) and runs the pinned release.
    const bin = join(dir, "bin");
    mkdirSync(bin);
    writeFileSync(
      join(bin, "nextflow"),
      `#!/bin/sh\n[ "$1" = "-c" ] || exit 64\nshift 2\nexec ${java.map((a) => `'${a}'`).join(" ")} "$@"\n`,
    );
    chmodSync(join(bin, "nextflow"), 0o755);
    const args = nextflowArgs({
      pipeline: join(dir, "main.nf"),
      runDir: dir,
      workDir: join(dir, "work"),
      runName: "cloud-params",
      place: "cloud",
    });
    const { command, env } = cloudHeadCommand({ kind: "aws-batch", region: "eu-west-1", jobQueue: "q" }, args, hostile);
    const received = runNextflow(command, dir, {
      ...env,
      PATH: `${bin}:${process.env.PATH ?? "/usr/bin:/bin"}`,
      TMPDIR: dir,
    });
    expectUnchanged(received.params);
    expect(existsSync(marker)).toBe(false);
  });

  it(
    "gives a pipeline the same params map the old command line gave, for values it kept intact",
    { timeout: 200_000 },
    async () => {
      const benign = {
        "max-cpus": "4",
        "genome.fasta-path": "ref.fa",
        genome_build: "GRCh38",
        n: "12",
        flag: "false",
        greeting: "hello world",
      };
      const cliDir = freshDir("compat-cli");
      const cli = Object.entries(benign).flatMap(([k, v]) => [`--${k}`, v]);
      const viaCli = runNextflow(
        [...java, "run", join(cliDir, "main.nf"), "-offline", "-ansi-log", "false", ...cli],
        cliDir,
      );
      const fileDir = freshDir("compat-file");
      const paramsFile = await writeParamsFile(fileDir, benign);
      const viaFile = runNextflow(
        [
          ...java,
          ...nextflowArgs({
            pipeline: join(fileDir, "main.nf"),
            runDir: fileDir,
            workDir: join(fileDir, "work"),
            runName: "compat",
            paramsFile,
          }),
        ],
        fileDir,
      );
      expect(viaFile.map).toEqual(viaCli.map);
      expect(viaFile.map).toMatchObject({ maxCpus: 4, genome: { fastaPath: "ref.fa" }, flag: false });
    },
  );
});
