import { describe, expect, it } from "vitest";
import { mergeEnv, storeFieldsChanged } from "./compute-envs";

describe("mergeEnv", () => {
  const stored = {
    TZ: "UTC",
    NXF_CONDA_CACHEDIR: "/scratch/conda",
    LOCKSTEP_E2E: "1",
    NXF_OPTS: "-Xmx1g -XX:OnOutOfMemoryError=MARKER",
  };

  it("keeps the stored values of kept names, adds the given ones and drops the rest", () => {
    expect(mergeEnv(stored, ["TZ", "NXF_CONDA_CACHEDIR"], { EXTRA: "x" })).toEqual({
      ok: true,
      env: { TZ: "UTC", NXF_CONDA_CACHEDIR: "/scratch/conda", EXTRA: "x" },
    });
  });

  it("gives a name both kept and given the given value", () => {
    expect(mergeEnv(stored, ["TZ", "NXF_CONDA_CACHEDIR"], { TZ: "Europe/Berlin" })).toEqual({
      ok: true,
      env: { TZ: "Europe/Berlin", NXF_CONDA_CACHEDIR: "/scratch/conda" },
    });
  });

  it("keeps nothing by default: the given set replaces the stored one", () => {
    expect(mergeEnv(stored, [], {})).toEqual({ ok: true, env: {} });
  });

  it("refuses to keep a name that is not stored, naming it", () => {
    expect(mergeEnv(stored, ["TZ", "HOME"], {})).toEqual({
      ok: false,
      field: "keepEnv",
      message: "HOME is not set on this compute environment",
    });
    // An inherited property is not a stored variable.
    expect(mergeEnv(stored, ["toString"], {})).toMatchObject({ ok: false, field: "keepEnv" });
  });

  it("refuses to keep a stored variable the rules now refuse, naming it and not its value", () => {
    const result = mergeEnv(stored, ["TZ", "NXF_OPTS"], {});
    expect(result).toMatchObject({
      ok: false,
      field: "computeEnv.env.NXF_OPTS",
      message: expect.stringMatching(/^NXF_OPTS changes how Nextflow starts/),
    });
    expect(JSON.stringify(result)).not.toContain("MARKER");
    // Dropping it (not keeping it) is how the environment is repaired.
    expect(mergeEnv(stored, ["TZ"], {})).toEqual({ ok: true, env: { TZ: "UTC" } });
  });

  it("counts kept and given names together against the limit", () => {
    const many = (prefix: string, n: number) =>
      Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}${i}`, "v"]));
    const kept = many("KEPT_", 60);
    expect(mergeEnv(kept, Object.keys(kept), many("NEW_", 40))).toMatchObject({ ok: true });
    expect(mergeEnv(kept, Object.keys(kept), many("NEW_", 41))).toEqual({
      ok: false,
      field: "computeEnv.env",
      message: "at most 100 environment variables (101 kept and given)",
    });
    // Replacing a kept name does not count it twice.
    expect(mergeEnv(kept, Object.keys(kept), { ...many("NEW_", 40), KEPT_0: "w" })).toMatchObject({ ok: true });
  });
});

describe("storeFieldsChanged", () => {
  const slurm = {
    kind: "slurm" as const,
    workDir: "/runs",
    config: { partition: "debug", sbatchOptions: ["--time=10"] },
  };
  it("names the first setting a live run depends on that an edit changes", () => {
    expect(storeFieldsChanged(slurm, { ...slurm, workDir: "/elsewhere" })).toBe("workDir");
    expect(storeFieldsChanged(slurm, { ...slurm, kind: "local", config: {} } as never)).toBe("kind");
    expect(storeFieldsChanged(slurm, { ...slurm, config: { partition: "long", sbatchOptions: ["--time=10"] } })).toBe(
      "config.partition",
    );
    expect(storeFieldsChanged(slurm, { ...slurm, config: { partition: "debug", sbatchOptions: [] } })).toBe(
      "config.sbatchOptions",
    );
  });
  it("lets everything else change (name, env, limits)", () => {
    expect(
      storeFieldsChanged(slurm, { ...slurm, config: { sbatchOptions: ["--time=10"], partition: "debug" } }),
    ).toBeNull();
  });
});
