#!/usr/bin/env node
// The monorepo's packages export TypeScript source; tsx loads it (a bundled build is a follow-up).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/main.ts");
process.exitCode = await main(process.argv.slice(2));
