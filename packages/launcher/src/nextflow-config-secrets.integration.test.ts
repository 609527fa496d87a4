import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { installNextflow, NEXTFLOW_VERSION } from "./nextflow-dist";
import { nextflowConfigSecrets } from "./nextflow-config-secrets";
import { scanPipelineDir } from "./pipeline-secrets";
import { probeSandbox } from "./sandbox";

/**
 * Issue 16, item 6: the pinned Nextflow (24.10.8, real JVM) reads the e2e fixture pipelines, and
 * what it says about their secrets agrees with Lockstep's source scanner: every name `nextflow
 * config` shows is one the scanner found in config, the config-only secret of `needs-config` among
 * them; and a run of that pipeline (preview: parsed and its workflow evaluated, no task run) goes
 * on without the secret it marks optional and sees it when the store has it.
 */
const fixtures = resolve(import.meta.dirname, "../../../e2e/fixtures/pipelines");
const sandbox = { bwrap: "bwrap", readOnly: [] };
let libDir: string;
const temps: string[] = [];

beforeAll(async () => {
  libDir = installNextflow(join(homedir(), ".cache/lockstep/nextflow"), NEXTFLOW_VERSION);
  // The check runs pipeline config (Groovy) in the worker's sandbox; this machine must be able to make one.
  expect(await probeSandbox(sandbox)).toBeNull();
}, 600_000);
afterAll(() => temps.forEach((t) => rmSync(t, { recursive: true, force: true })));

describe("the pinned Nextflow against the scanner, on every e2e fixture pipeline", () => {
  const dirs = readdirSync(fixtures, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => d.name)
    .sort();

  it.each(dirs)(
    "%s: what nextflow config shows is what the scanner found in config",
    { timeout: 180_000 },
    async (name) => {
      const dir = join(fixtures, name);
      const scanned = await scanPipelineDir(dir);
      if (scanned.status !== "known") throw new Error(`scanner: ${scanned.reason}`);
      const nf = await nextflowConfigSecrets({ libDir, pipelineDir: dir, sandbox });
      if (!nf.ok) throw new Error(nf.reason);
      const inConfig = scanned.needs
        .filter(
          (n) =>
            n.uses.includes("config") || (n.uses.includes("process") && n.files.some((f) => f.endsWith(".config"))),
        )
        .map((n) => n.name);
      if (name === "config-include") {
        // The one the scanner misses (a file included by a name not ending in .config): Nextflow names it.
        expect(nf.names).toEqual(["INCLUDED_KEY"]);
        expect(inConfig).not.toContain("INCLUDED_KEY");
        return;
      }
      for (const n of [...nf.names, ...nf.directives]) expect(inConfig).toContain(n);
      if (name === "needs-config") {
        // The secret used only in nextflow.config: Nextflow itself names it.
        expect(nf.names).toEqual(["AWS_KEY"]);
        expect(scanned.needs.find((n) => n.name === "AWS_KEY")).toMatchObject({
          uses: ["config"],
          files: ["nextflow.config"],
        });
        expect(scanned.optional).toEqual(["SLACK_WEBHOOK"]);
      }
    },
  );

  it(
    "needs-config runs under the real Nextflow without its optional secret, and sees it when the store has it",
    { timeout: 240_000 },
    () => {
      const preview = (store: Array<{ name: string; value: string }>) => {
        const home = mkdtempSync(join(tmpdir(), "lockstep-nfpreview-"));
        temps.push(home);
        const storeFile = join(home, "store.json");
        writeFileSync(storeFile, JSON.stringify(store), { mode: 0o600 });
        chmodSync(storeFile, 0o600);
        const result = spawnSync(
          "java",
          ["-cp", `${libDir}/*`, "nextflow.cli.Launcher", "run", join(fixtures, "needs-config"), "-preview"],
          {
            cwd: home,
            env: {
              PATH: process.env.PATH ?? "/usr/bin:/bin",
              HOME: home,
              NXF_HOME: join(home, ".nextflow"),
              NXF_OFFLINE: "true",
              NXF_ANSI_LOG: "false",
              NXF_SECRETS_FILE: storeFile,
            },
            encoding: "utf8",
            timeout: 120_000,
          },
        );
        return { status: result.status, out: `${result.stdout}${result.stderr}` };
      };
      const without = preview([]);
      expect(without.out).toContain("notifications: off");
      expect(without.status).toBe(0);
      const withIt = preview([{ name: "SLACK_WEBHOOK", value: "https://hooks.example.test/x" }]);
      expect(withIt.out).toContain("notifications: on");
      expect(withIt.status).toBe(0);
    },
  );
});
