import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

const shared = ["**/node_modules/**", "**/.next/**", "e2e/**", ".tools/**", ".data/**"];

export default defineConfig({
  test: {
    projects: [
      {
        // apps/web's "~/…" imports (its tsconfig paths), for its server modules' unit tests.
        resolve: { alias: [{ find: /^~\//, replacement: fileURLToPath(new URL("./apps/web/src/", import.meta.url)) }] },
        test: {
          name: "unit",
          include: ["{apps,packages,tooling}/**/*.test.ts"],
          exclude: [...shared, "**/*.integration.test.ts"],
          environment: "node",
        },
      },
      {
        test: {
          name: "integration",
          include: ["{apps,packages,tooling}/**/*.integration.test.ts"],
          exclude: shared,
          environment: "node",
          // One real Postgres and one real Redis for the whole run, started by the devstack.
          globalSetup: ["./tooling/vitest/global-setup.ts"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Test files share one database; each uses its own rows/queue names, but keep them
          // sequential so timings stay honest on a 2-core machine.
          fileParallelism: false,
        },
      },
    ],
  },
});
