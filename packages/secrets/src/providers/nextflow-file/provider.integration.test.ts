import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { providerContract } from "../../contract";
import type { TRunSecret } from "../../provider";
import { nextflowFileProvider } from "./provider";

const runsDir = mkdtempSync(join(tmpdir(), "lockstep-nf-file-"));
afterAll(() => rmSync(runsDir, { recursive: true, force: true }));
const provider = nextflowFileProvider({ runsDir });

providerContract("nextflow-file", async () => ({
  provider,
  async readBack(run) {
    const store = join(runsDir, run.runId, "secrets", "store.json");
    return existsSync(store) ? (JSON.parse(readFileSync(store, "utf8")) as TRunSecret[]) : [];
  },
  locationPattern: (run) => new RegExp(`^${runsDir}/${run.runId}/secrets/store\\.json$`),
}));

describe("nextflow-file specifics", () => {
  it("creates the store 0600 in a 0700 directory, as Nextflow requires", async () => {
    const run = { runId: randomUUID(), workspaceId: randomUUID() };
    const { env } = await provider.provision(run, [{ name: "A_B", value: "v" }]);
    expect(env).toEqual({ NXF_SECRETS_FILE: join(runsDir, run.runId, "secrets", "store.json") });
    expect(statSync(env.NXF_SECRETS_FILE!).mode & 0o777).toBe(0o600);
    expect(statSync(join(runsDir, run.runId, "secrets")).mode & 0o777).toBe(0o700);
    await provider.cleanup(run);
  });

  it("cleanup also removes the .nf-*.secrets sidecars Nextflow leaves beside the store", async () => {
    const run = { runId: randomUUID(), workspaceId: randomUUID() };
    await provider.provision(run, [{ name: "A_B", value: "v" }]);
    const sidecar = join(runsDir, run.runId, "secrets", ".nf-0123abcd.secrets");
    writeFileSync(sidecar, 'export A_B="v"\n', { mode: 0o600 });
    await provider.cleanup(run);
    expect(existsSync(join(runsDir, run.runId, "secrets"))).toBe(false);
  });

  it("leaves no temporary file behind and tightens a pre-existing directory", async () => {
    const run = { runId: randomUUID(), workspaceId: randomUUID() };
    await provider.provision(run, [{ name: "A_B", value: "v1" }]);
    await provider.provision(run, [{ name: "A_B", value: "v2" }]);
    const dir = join(runsDir, run.runId, "secrets");
    const { readdirSync } = await import("node:fs");
    expect(readdirSync(dir)).toEqual(["store.json"]);
    await provider.cleanup(run);
  });

  it("refuses a run id that is not a UUID (no path traversal)", async () => {
    await expect(provider.provision({ runId: "../../etc", workspaceId: "w" }, [])).rejects.toThrow(
      /run id must be a UUID/,
    );
  });
});
