import { describe, expect, it } from "vitest";
import { secretsInFlatConfig } from "./nextflow-config-secrets";

describe("secretsInFlatConfig", () => {
  it("reads stripped secrets.NAME values and secret directive lists from `nextflow config -flat`", () => {
    const flat = [
      "env.AWS_KEY_SET = 'yes'",
      "aws.accessKey = 'secrets.AWS_KEY'",
      "tower.accessToken = 'Bearer secrets.TOWER_TOKEN'",
      "process.'withName:LOAD'.secret = ['DB_PASSWORD', 'API_TOKEN']",
      "process.secret = ['SHARED']",
      "params.note = 'no secret here'",
    ].join("\n");
    expect(secretsInFlatConfig(flat)).toEqual({
      names: ["AWS_KEY", "TOWER_TOKEN"],
      directives: ["API_TOKEN", "DB_PASSWORD", "SHARED"],
    });
  });

  it("finds nothing in a config without secrets", () => {
    expect(secretsInFlatConfig("process.executor = 'local'\nparams.outdir = 'results'\n")).toEqual({
      names: [],
      directives: [],
    });
  });
});
