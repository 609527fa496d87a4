import { join, resolve } from "node:path";
import { defineConfig } from "@playwright/test";

// Deterministic ports: this file is evaluated in every Playwright worker, so they must not be random.
const base = Number(process.env.E2E_BASE_PORT ?? 3100);
const root = resolve(import.meta.dirname, "..");
export const ports = { web: base, worker: base + 1, postgres: base + 2, redis: base + 3, oidc: base + 4 };
/** The private Slurm npm test starts for the slurm executor tests (its app gets the same SLURM_CONF). */
export const slurmConf = process.env.SLURM_CONF ?? null;
/** The moto npm test starts for the cloud run tests (its app inherits AWS_ENDPOINT_URL too). */
export const awsEndpoint = process.env.AWS_ENDPOINT_URL ?? null;
/** The OIDC provider the oidc spec runs on loopback; the app is configured for it from the start. */
export const oidc = {
  issuer: `http://127.0.0.1:${base + 4}`,
  clientId: "lockstep-e2e",
  clientSecret: "lockstep-e2e-client-secret-not-a-real-one",
  name: "Test IdP",
};
/**
 * The e2e instance's one-time setup code (LOCKSTEP_SETUP_CODE): the global setup claims the fresh
 * instance with it. Only a test instance's code; it is in the repository.
 */
export const setupCode = "e2e-setup-code-not-a-secret-0001";
/** The allowed local pipeline directory of the e2e app (LOCKSTEP_LOCAL_PIPELINE_ROOTS). */
export const pipelineRoot = join(root, "e2e", "fixtures", "pipelines");
export const dataDir = process.env.E2E_DATA_DIR ?? join(root, ".data", "e2e");

export default defineConfig({
  testDir: "tests",
  // Signs up the instance admin (the first account) once the app is up; see the file.
  globalSetup: "./global-setup.ts",
  outputDir: process.env.E2E_OUTPUT_DIR ?? "test-results",
  timeout: 60_000,
  expect: { timeout: 15_000 },
  fullyParallel: false,
  workers: 1,
  retries: 0,
  reporter: [["list"], ["json", { outputFile: process.env.E2E_JSON_REPORT ?? "test-results/results.json" }]],
  use: {
    baseURL: `http://localhost:${ports.web}`,
    trace: "retain-on-failure",
    screenshot: "only-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      // As root Chromium needs --no-sandbox; on a closed network its background fetches only fail.
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
      ],
    },
  },
  projects: [
    { name: "api", testDir: "tests/api" },
    { name: "ui", testDir: "tests/ui" },
  ],
  // The real start command, exactly as a user runs it, on its own ports and data directory.
  webServer: {
    command: `node ${join(root, "scripts/start.mjs")}`,
    url: `http://127.0.0.1:${ports.web}/api/health`,
    timeout: 600_000,
    reuseExistingServer: false,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGINT", timeout: 30_000 },
    env: {
      PORT: String(ports.web),
      WORKER_PORT: String(ports.worker),
      LOCKSTEP_POSTGRES_PORT: String(ports.postgres),
      LOCKSTEP_REDIS_PORT: String(ports.redis),
      LOCKSTEP_DATA_DIR: dataDir,
      DATABASE_URL: "",
      REDIS_URL: "",
      // Presets the setup code `npm start` would otherwise print (LOCKSTEP_SIGNUP stays unset: the
      // default, invite, which accounts.spec proves; the global setup saves "open" for the other specs).
      LOCKSTEP_SETUP_CODE: setupCode,
      LOCKSTEP_SIGNUP: "",
      LOCKSTEP_SIGNUP_ENABLED: "",
      // Local pipelines may live only here (the fixture pipelines).
      LOCKSTEP_LOCAL_PIPELINE_ROOTS: pipelineRoot,
      // Every spec signs its users up from this machine's loopback address.
      LOCKSTEP_SIGNUPS_PER_ADDRESS_PER_HOUR: "1000",
      // Webhook retries after 1 s, 2 s, … instead of minutes (webhooks.spec watches a retry happen).
      LOCKSTEP_WEBHOOK_RETRY_BASE_MS: "1000",
      OIDC_ISSUER: oidc.issuer,
      OIDC_CLIENT_ID: oidc.clientId,
      OIDC_CLIENT_SECRET: oidc.clientSecret,
      OIDC_DISPLAY_NAME: oidc.name,
    },
  },
});
