import { describe, expect, it } from "vitest";
import { ALLOWED_NXF_VARS, envNameProblem, headEnvProblems, sbatchOptionProblem } from "./head-env";
import { ZComputeEnvInput, ZEnvVars } from "./runs";

describe("compute environment variables", () => {
  it.each([
    ["JAVA_TOOL_OPTIONS", /Java VM/],
    ["_JAVA_OPTIONS", /Java VM/],
    ["JDK_JAVA_OPTIONS", /Java VM/],
    ["JAVA_OPTS", /Java VM/],
    ["JAVA_HOME", /Java VM/],
    ["JAVA_CMD", /Java VM/],
    ["CLASSPATH", /Java VM/],
    ["CAPSULE_CACHE_DIR", /Java VM/],
    ["LD_PRELOAD", /dynamic loader/],
    ["LD_LIBRARY_PATH", /dynamic loader/],
    ["DYLD_INSERT_LIBRARIES", /dynamic loader/],
    ["GLIBC_TUNABLES", /dynamic loader/],
    ["GCONV_PATH", /dynamic loader/],
    ["BASH_ENV", /shells/],
    ["ENV", /shells/],
    ["BASH_FUNC_x", /shells/],
    ["SHELLOPTS", /shells/],
    ["BASHOPTS", /shells/],
    ["PS4", /shells/],
    ["PROMPT_COMMAND", /shells/],
    ["IFS", /shells/],
    ["PATH", /which programs run/],
    ["HOME", /start-up settings/],
    ["TMPDIR", /set by Lockstep/],
    ["PYTHONPATH", /Python/],
    ["PYTHONSTARTUP", /Python/],
    ["PERL5OPT", /Perl/],
    ["PERL5LIB", /Perl/],
    ["NODE_OPTIONS", /Node/],
    ["SLURM_CONF", /sbatch/],
    ["SBATCH_OUTPUT", /sbatch/],
    ["SBATCH_EXPORT", /sbatch/],
    ["NXF_OPTS", /Nextflow starts/],
    ["NXF_JVM_ARGS", /Nextflow starts/],
    ["NXF_CLI_OPTS", /Nextflow starts/],
    ["NXF_DEBUG", /Nextflow starts/],
    ["NXF_PARAMS_FILE", /Nextflow starts/],
    ["NXF_CLASSPATH", /Nextflow starts/],
    ["NXF_SECRETS_FILE", /set by Lockstep/],
    ["NXF_HOME", /set by Lockstep/],
    ["NXF_ANSI_LOG", /set by Lockstep/],
    ["LOCKSTEP_NXF_CONFIG", /set by Lockstep/],
    ["LOCKSTEP_NXF_PARAMS", /set by Lockstep/],
    ["LOCKSTEP_NXF_EXT", /set by Lockstep/],
    ["LOCKSTEP_SECRETS_MANIFEST", /set by Lockstep/],
    ["SINGULARITYENV_LD_PRELOAD", /inside task containers.*dynamic loader/],
    ["APPTAINERENV_PATH", /inside task containers/],
  ])("refuses %s, saying why", (name, why) => {
    expect(envNameProblem(name)).toMatch(why);
    expect(ZEnvVars.safeParse({ [name]: "-XX:OnOutOfMemoryError=MARKER" }).error?.issues[0]).toMatchObject({
      path: [name],
      message: expect.stringMatching(why),
    });
  });

  it.each([
    "AWS_REGION",
    "TZ",
    "LANG",
    "LC_ALL",
    "http_proxy",
    "HTTPS_PROXY",
    "MY_SETTING",
    "SINGULARITYENV_MY_SETTING",
    "LOCKSTEP_E2E",
    ...ALLOWED_NXF_VARS,
  ])("allows %s", (name) => {
    expect(envNameProblem(name)).toBeNull();
    expect(ZEnvVars.safeParse({ [name]: "x" }).success).toBe(true);
  });

  it("names the variable, never its value", () => {
    const issues =
      ZEnvVars.safeParse({ JAVA_TOOL_OPTIONS: "-XX:OnOutOfMemoryError=MARKER-1", NXF_OPTS: "MARKER-2" }).error
        ?.issues ?? [];
    expect(issues.map((i) => i.path)).toEqual([["JAVA_TOOL_OPTIONS"], ["NXF_OPTS"]]);
    expect(JSON.stringify(issues)).not.toContain("MARKER");
  });

  it("gives the field error on computeEnv.env.<NAME> through the compute environment schema", () => {
    const input = {
      kind: "local",
      name: "L",
      workDir: "/srv/l",
      nextflowVersion: "24.10.8",
      env: { JAVA_TOOL_OPTIONS: "x" },
    };
    expect(ZComputeEnvInput.safeParse(input).error?.issues[0]?.path).toEqual(["env", "JAVA_TOOL_OPTIONS"]);
  });
});

describe("Slurm head options", () => {
  it.each([
    "--time=10",
    "--time=1-00:00:00",
    "--mem=4G",
    "--mem-per-cpu=2000M",
    "--cpus-per-task=4",
    "--account=proj_42",
    "--qos=normal",
    "--partition=debug",
    "--constraint=intel&ib",
    "--gres=gpu:a100:2",
    "--nodes=1",
    "--ntasks=1",
    "--reservation=maint",
    "--comment=nightly",
    "--nodelist=node[1-4],node7",
    "--begin=now+60",
    "--signal=B:USR1@90",
    "--exclusive",
    "--exclusive=user",
    "--requeue",
  ])("passes %s", (option) => {
    expect(sbatchOptionProblem(option)).toBeNull();
  });

  it.each([
    ["--output=/any/path", /--output is not allowed: Lockstep decides where/],
    ["--error=/tmp/e", /--error is not allowed/],
    ["--input=/etc/shadow", /--input is not allowed/],
    ["--export=ALL,LD_PRELOAD=/x.so", /--export is not allowed: it changes the head job's environment/],
    ["--uid=0", /--uid is not allowed/],
    ["--gid=0", /--gid is not allowed/],
    ["--chdir=/", /--chdir is not allowed/],
    ["--wrap=id", /--wrap is not allowed/],
    ["--get-user-env", /--get-user-env is not allowed/],
    ["--propagate=ALL", /--propagate is not allowed/],
    ["--out=/x", /--out is not one of the sbatch options/], // getopt would take the prefix as --output
    ["--exp=ALL", /--exp is not one of/],
    ["--mail-user=a@b.c", /not one of the sbatch options Lockstep passes through/],
    ["-o", /only long options/],
    ["-e/tmp/x", /only long options/],
    ["-p", /only long options/],
    ["--mem", /needs a value/],
    ["--requeue=1", /takes no value/],
    ["--mem=4G --output=/x", /no spaces/],
    ["--mem=4G\n--output=/x", /no spaces/],
    ["--comment=a=b", /'='/],
    ["--account=-o", /not starting with -/],
    ["--comment=/etc", /'\/'/],
    ["--exclusive=everything", /not a value Lockstep passes through/],
    ["--mem='4G'", /quotes/],
    ["debug", /--name or --name=value/],
  ])("refuses %s", (option, why) => {
    expect(sbatchOptionProblem(option)).toMatch(why);
  });

  it("gives the field error on computeEnv.config.sbatchOptions.<i>", () => {
    const slurm = {
      kind: "slurm",
      name: "S",
      workDir: "/srv/s",
      nextflowVersion: "24.10.8",
      config: { sbatchOptions: ["--mem=4G", "--output=/tmp/x"] },
    };
    expect(ZComputeEnvInput.safeParse(slurm).error?.issues[0]).toMatchObject({
      path: ["config", "sbatchOptions", 1],
      message: expect.stringMatching(/--output is not allowed/),
    });
  });
});

describe("a stored compute environment, checked again at launch", () => {
  it("lists each refused variable and option with its field, never a value", () => {
    const problems = headEnvProblems({
      kind: "slurm",
      env: { OK_VAR: "fine", NXF_OPTS: "MARKER-opts", JAVA_TOOL_OPTIONS: "-XX:OnOutOfMemoryError=MARKER-cmd" },
      config: { sbatchOptions: ["--time=10", "--export=ALL"] },
    });
    expect(problems.map((p) => p.field)).toEqual([
      "computeEnv.env.JAVA_TOOL_OPTIONS",
      "computeEnv.env.NXF_OPTS",
      "computeEnv.config.sbatchOptions.1",
    ]);
    expect(problems[0]!.message).toMatch(/^JAVA_TOOL_OPTIONS changes how the Java VM/);
    expect(problems[2]!.message).toMatch(/^Slurm option 2: --export is not allowed/);
    expect(JSON.stringify(problems)).not.toContain("MARKER");
  });

  it("finds nothing wrong with an environment the rules allow (positive control)", () => {
    expect(
      headEnvProblems({
        kind: "slurm",
        env: { AWS_REGION: "eu-west-1" },
        config: { partition: "debug", sbatchOptions: ["--time=10"] },
      }),
    ).toEqual([]);
    expect(headEnvProblems({ kind: "local", env: {}, config: {} })).toEqual([]);
  });
});
