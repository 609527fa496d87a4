// Prints a fresh key set as env lines, ready to paste into .env (see .env.example):
//   node_modules/.bin/tsx tooling/devstack/src/cli/generate-keys.ts >> .env
// LOCKSTEP_SEAL_KEYS (public) goes to the web, LOCKSTEP_OPEN_KEYS (private) to the worker only.
// Prints nothing else, so the output can be appended or piped as it is.
import { randomBytes } from "node:crypto";
import { formatKeySpecs, generateKeyPair } from "@lockstep/crypto";

async function main(): Promise<string> {
  // Dated key ids keep rotations readable; the random suffix keeps two keys made the same day
  // apart (ids must be unique within a keyring).
  const kid = `k${new Date().toISOString().slice(0, 10).replace(/-/g, "")}-${randomBytes(3).toString("hex")}`;
  const pair = await generateKeyPair(kid);
  return [
    `LOCKSTEP_SEAL_KEYS=${formatKeySpecs([{ kid, key: pair.publicKey }])}`,
    `LOCKSTEP_OPEN_KEYS=${formatKeySpecs([{ kid, key: pair.privateKey }])}`,
    `NEXTAUTH_SECRET=${randomBytes(32).toString("base64url")}`,
    "",
  ].join("\n");
}

// No top-level await: the root package is not "type": "module", so this may load as CommonJS.
main().then(
  (lines) => process.stdout.write(lines),
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
