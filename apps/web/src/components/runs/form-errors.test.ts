import { TRPCClientError } from "@trpc/client";
import { describe, expect, it } from "vitest";
import { formErrorsOf, otherErrors } from "./form-errors";

function trpcError(message: string, data: Record<string, unknown>) {
  const error = new TRPCClientError(message);
  Object.defineProperty(error, "data", { value: data });
  return error;
}

describe("server errors on form fields", () => {
  it("puts validation messages on the field under the input's prefix", () => {
    const error = trpcError("computeEnv.workDir: must be an absolute path (starting with /)", {
      code: "BAD_REQUEST",
      fieldErrors: {
        "computeEnv.workDir": "must be an absolute path (starting with /)",
        "computeEnv.config.sbatchOptions.1": "each option must look like --name or --name=value",
        "computeEnv.env.BAD-NAME": "BAD-NAME is not a valid environment variable name",
        "computeEnv.config.partition": "partition names are letters",
      },
    });
    expect(formErrorsOf(error, "computeEnv")).toEqual({
      workDir: "must be an absolute path (starting with /)",
      sbatchOptions: "Line 2: each option must look like --name or --name=value",
      env: "BAD-NAME is not a valid environment variable name",
      partition: "partition names are letters",
    });
  });

  it("keeps a nested key in the message when the message does not name it", () => {
    const error = trpcError("x", {
      code: "BAD_REQUEST",
      fieldErrors: { "pipeline.defaultParams.x y": "param names are letters, digits" },
    });
    expect(formErrorsOf(error, "pipeline")).toEqual({ defaultParams: "x y: param names are letters, digits" });
  });

  it("places domain errors that name a field, and conflicts on the name", () => {
    expect(
      formErrorsOf(
        trpcError("computeEnvId: choose a compute environment (the pipeline has no default).", { code: "BAD_REQUEST" }),
      ),
    ).toEqual({
      computeEnvId: "choose a compute environment (the pipeline has no default).",
    });
    expect(
      formErrorsOf(trpcError('A pipeline named "qc" already exists here.', { code: "CONFLICT" }), "pipeline"),
    ).toEqual({
      name: 'A pipeline named "qc" already exists here.',
    });
    expect(formErrorsOf(trpcError("Something broke.", { code: "INTERNAL_SERVER_ERROR" }))).toEqual({
      form: "Something broke.",
    });
  });

  it("places an edit's environment variable errors on the kept list and on the variables box", () => {
    const unknown = trpcError("keepEnv: TZ is not set on this compute environment", { code: "BAD_REQUEST" });
    expect(formErrorsOf(unknown, "computeEnv")).toEqual({ keepEnv: "TZ is not set on this compute environment" });
    const tooMany = trpcError("computeEnv.env: at most 100 environment variables (101 kept and given)", {
      code: "BAD_REQUEST",
    });
    expect(formErrorsOf(tooMany, "computeEnv")).toEqual({
      env: "at most 100 environment variables (101 kept and given)",
    });
  });

  it("places domain errors that name their field as a path under the prefix", () => {
    const error = trpcError("computeEnv.config.credentialId: choose AWS credentials of this workspace.", {
      code: "BAD_REQUEST",
    });
    expect(formErrorsOf(error, "computeEnv")).toEqual({ credentialId: "choose AWS credentials of this workspace." });
    expect(
      formErrorsOf(trpcError("Could not reach the cluster: try again.", { code: "BAD_REQUEST" }), "computeEnv"),
    ).toEqual({
      form: "Could not reach the cluster: try again.",
    });
  });

  it("lists what no field shows", () => {
    expect(otherErrors({ form: "Nope.", name: "taken", kind: "bad" }, ["name"])).toEqual(["Nope.", "kind: bad"]);
  });
});
