import { describe, expect, it } from "vitest";
import { ZComputeEnvInput, ZEnvVars, ZPipelineInput } from "./runs";

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
    expect(ZComputeEnvInput.safeParse(slurm).error?.issues[0]?.message).toMatch(/--name=value/);
    expect(ZComputeEnvInput.parse({ ...slurm, config: { partition: "debug", sbatchOptions: ["--mem=4G", "--qos=normal"] } }).config).toEqual({
      partition: "debug",
      sbatchOptions: ["--mem=4G", "--qos=normal"],
    });
  });

  it("keeps the variables that deliver secrets under Lockstep's control", () => {
    expect(ZEnvVars.safeParse({ NXF_SECRETS_FILE: "/tmp/x" }).error?.issues[0]?.message).toMatch(/set by Lockstep/);
    expect(ZEnvVars.safeParse({ "BAD-NAME": "x" }).error?.issues[0]?.message).toMatch(/not a valid environment variable name/);
    expect(ZEnvVars.parse({ NXF_OPTS: "-Xmx1g" })).toEqual({ NXF_OPTS: "-Xmx1g" });
  });
});

describe("pipeline input", () => {
  it("accepts https repositories and absolute paths only", () => {
    expect(ZPipelineInput.safeParse({ name: "p", repository: "https://github.com/nf-core/rnaseq" }).success).toBe(true);
    expect(ZPipelineInput.safeParse({ name: "p", repository: "/pipelines/hello" }).success).toBe(true);
    expect(ZPipelineInput.safeParse({ name: "p", repository: "git@github.com:x/y" }).error?.issues[0]?.message).toMatch(/https:\/\//);
  });
});
