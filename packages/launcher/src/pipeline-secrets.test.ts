import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { describeNeeds, scanPipelineDir, scanSource, type TPipelineSecretNeeds } from "./pipeline-secrets";

const fixture = resolve(import.meta.dirname, "test/secret-needs-pipeline");
const e2ePipelines = resolve(import.meta.dirname, "../../../e2e/fixtures/pipelines");

const names = (src: string, kind: "script" | "config" = "script") =>
  scanSource(src, kind).found.map((f) => `${f.use}:${f.name}`);

describe("scanSource", () => {
  it("finds the secret directive in both quote styles and the call form", () => {
    expect(
      names(`process A {\n  secret 'DB_PASSWORD'\n  secret "API_TOKEN"\n  secret('LICENSE_KEY')\n  script: "x"\n}`),
    ).toEqual(["process:DB_PASSWORD", "process:API_TOKEN", "process:LICENSE_KEY"]);
  });

  it("ignores comments, plain strings and script bodies (positive control in the same source)", () => {
    const src = `// secret 'IN_LINE_COMMENT'\n/* secrets.IN_BLOCK */\nprocess A {\n  secret 'REAL'\n  script:\n  """\n  secret 'IN_BODY'\n  echo secrets.IN_BODY2\n  """\n}\ndef s = 'secrets.IN_SINGLE'\n`;
    expect(names(src)).toEqual(["process:REAL"]);
  });

  it("finds secrets.NAME in code, in GString interpolation, with ?. and [] access", () => {
    expect(
      names(
        `if (secrets.A_ONE) x = "\${secrets.B_TWO}"\ny = secrets?.C_THREE\nz = secrets['D_FOUR']\nw = "$secrets.E_FIVE"`,
      ),
    ).toEqual(["script:A_ONE", "script:C_THREE", "script:D_FOUR", "script:B_TWO", "script:E_FIVE"]);
  });

  it("does not take someone else's .secrets property, nor an escaped \\$ in a GString", () => {
    expect(names(`x = params.secrets.NOPE\ny = "\\\${secrets.NOPE2}"`)).toEqual([]);
  });

  it("in config files, secrets.NAME is a config use and `secret` is not a directive", () => {
    expect(names(`aws { accessKey = secrets.AWS_KEY }\nsecret 'NOT_HERE'`, "config")).toEqual(["config:AWS_KEY"]);
  });

  it("in config files, the secret directive set as a process setting is a process use", () => {
    const r = scanSource(
      `process {\n  withName: 'FETCH' {\n    secret = ['CFG_ONE', "CFG_TWO"]\n  }\n  withLabel: x { secret = 'CFG_THREE' }\n  withName: Y { secret = params.names }\n}\nprocess.secret = ['CFG_FOUR']\nfoo.secret = ['NOT_A_DIRECTIVE']`,
      "config",
    );
    expect(r.found.map((f) => `${f.use}:${f.name}`)).toEqual([
      "process:CFG_ONE",
      "process:CFG_TWO",
      "process:CFG_THREE",
      "process:CFG_FOUR",
    ]);
    expect(r.problems.map((p) => p.line)).toEqual([6]);
  });

  it("reports a computed name and a multi-name directive (Nextflow's secret(String) takes one) instead of guessing", () => {
    const r = scanSource(
      `process A {\n  secret params.name\n  secret 'X_ONE', 'X_TWO'\n  secret "\${params.n}"\n}`,
      "script",
    );
    expect(r.found.map((f) => f.name)).toEqual(["X_ONE", "X_TWO"]);
    expect(r.problems.map((p) => p.line)).toEqual([2, 3, 4]);
    expect(r.problems[0]!.why).toMatch(/computed/);
    expect(r.problems[1]!.why).toMatch(/one name/);
  });

  it("reports names Nextflow would refuse rather than listing them", () => {
    const r = scanSource(`process A {\n  secret 'A__B'\n  secret 'OK_NAME'\n}`, "script");
    expect(r.found.map((f) => f.name)).toEqual(["OK_NAME"]);
    expect(r.problems).toHaveLength(1);
    expect(JSON.stringify(r.problems)).not.toContain("A__B");
  });

  it("a variable named secret is not a directive", () => {
    expect(names(`def secret = 'x'\nsecret = "y"\nsecret.trim()`)).toEqual([]);
  });

  it("reads the optional convention from comments only", () => {
    expect(
      scanSource(`// lockstep: optional SLACK_HOOK, OTHER_ONE\ndef s = "lockstep: optional IN_STRING"`, "script")
        .optional,
    ).toEqual(["SLACK_HOOK", "OTHER_ONE"]);
  });

  it("a quote inside a ~/regex/ does not swallow the rest of the file", () => {
    expect(names(`x = a =~ /it's/\nprocess A {\n  secret 'AFTER_REGEX'\n}`)).toEqual(["process:AFTER_REGEX"]);
  });
});

describe("scanPipelineDir on an nf-core-style pipeline", () => {
  it("lists every need with where it is used, the optional ones, and what it could not know", async () => {
    const r = await scanPipelineDir(fixture);
    if (r.status !== "known") throw new Error("expected known");
    expect(r.needs).toEqual([
      { name: "API_TOKEN", uses: ["process"], files: ["modules/local/fetch_db/main.nf"] },
      { name: "AWS_KEY", uses: ["config"], files: ["nextflow.config"] },
      { name: "AWS_SECRET", uses: ["config"], files: ["nextflow.config"] },
      { name: "DB_PASSWORD", uses: ["process"], files: ["modules/local/fetch_db/main.nf"] },
      { name: "FASTQC_TOKEN", uses: ["script"], files: ["modules/nf-core/fastqc/main.nf"] },
      { name: "LICENSE_KEY", uses: ["process"], files: ["modules/nf-core/fastqc/main.nf"] },
      { name: "SLACK_WEBHOOK", uses: ["script"], files: ["main.nf"] },
      { name: "TOWER_ACCESS_TOKEN", uses: ["config"], files: ["conf/base.config"] },
    ]);
    expect(r.optional).toEqual(["SLACK_WEBHOOK"]);
    expect(r.problems).toEqual([
      "subworkflows/local/prepare/main.nf:2: a secret directive whose name is computed; it is known only when the run starts",
    ]);
    expect(r.files).toBe(7);
    expect(r.fingerprint).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(((await scanPipelineDir(fixture)) as { fingerprint: string }).fingerprint).toBe(r.fingerprint);
    expect(describeNeeds(r)).toBe(
      "needs API_TOKEN, DB_PASSWORD, FASTQC_TOKEN, LICENSE_KEY, SLACK_WEBHOOK (optional) (config: AWS_KEY, AWS_SECRET, TOWER_ACCESS_TOKEN); 1 place in the sources Lockstep cannot read before the run",
    );
  });

  it("reads the e2e secrets-hash pipeline's two directives", async () => {
    const r = await scanPipelineDir(resolve(e2ePipelines, "secrets-hash"));
    expect(r.status === "known" && r.needs.map((n) => n.name)).toEqual(["API_TOKEN", "DB_PASSWORD"]);
  });

  it("describes unknown needs as unknown until launch", () => {
    const u: TPipelineSecretNeeds = {
      status: "unknown",
      reason: "https repositories are not fetched here",
      scannedAt: "",
    };
    expect(describeNeeds(u)).toMatch(/unknown until launch/);
  });
});
