#!/usr/bin/env node
// `npm test`: installs what is missing on first run, then runs every test layer (see tooling/devstack/src/cli/test.ts).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { bootstrap, root } from "./lib/bootstrap.mjs";

bootstrap();
const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "tooling/devstack/src/cli/test.ts")], {
  cwd: root,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
