#!/usr/bin/env node
// `npm start`: installs what is missing on first run, then runs the devstack's start command.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { bootstrap, root } from "./lib/bootstrap.mjs";

bootstrap();
const child = spawn(process.execPath, ["--import", "tsx", join(root, "tooling/devstack/src/cli/start.ts")], {
  cwd: root,
  stdio: "inherit",
});
// The child handles SIGINT/SIGTERM itself (stopping services in order); forward ones sent to us alone.
for (const signal of /** @type {const} */ (["SIGINT", "SIGTERM"])) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
