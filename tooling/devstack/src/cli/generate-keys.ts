// Makes a fresh key set for a deployment (see .env.example):
//   node_modules/.bin/tsx tooling/devstack/src/cli/generate-keys.ts [PATH] >> .env
// writes the PRIVATE keyring to PATH (default ./lockstep-open-keys, created with mode 0600, never
// overwritten) for the worker alone, and prints the lines for .env: LOCKSTEP_SEAL_KEYS (public,
// web and worker), NEXTAUTH_SECRET (web) and LOCKSTEP_OPEN_KEYS_PATH (where compose finds the file).
// Beside it, PATH-fingerprint (./lockstep-fingerprint-key by default): the worker's fingerprint key
// (LOCKSTEP_FINGERPRINT_KEY_PATH), also 0600 and never overwritten.
// With Compose, give the files to the worker's uid: chown 10001:10001 lockstep-open-keys lockstep-fingerprint-key.
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { formatKeySpecs, generateKeyPair } from "@lockstep/crypto";
import { FingerprintKey } from "@lockstep/crypto/fingerprint";

async function main(): Promise<string> {
  const file = resolve(process.argv[2] ?? "lockstep-open-keys");
  // Dated key ids keep rotations readable; the random suffix keeps two keys made the same day
  // apart (ids must be unique within a keyring).
  const kid = `k${new Date().toISOString().slice(0, 10).replace(/-/g, "")}-${randomBytes(3).toString("hex")}`;
  const pair = await generateKeyPair(kid);
  writeFileSync(file, `${formatKeySpecs([{ kid, key: pair.privateKey }])}\n`, { mode: 0o600, flag: "wx" });
  const fingerprintFile = process.argv[2] ? `${file}-fingerprint` : resolve("lockstep-fingerprint-key");
  writeFileSync(fingerprintFile, `${FingerprintKey.generateSpec(`fp-${kid}`)}\n`, { mode: 0o600, flag: "wx" });
  return [
    `LOCKSTEP_SEAL_KEYS=${formatKeySpecs([{ kid, key: pair.publicKey }])}`,
    `NEXTAUTH_SECRET=${randomBytes(32).toString("base64url")}`,
    `LOCKSTEP_OPEN_KEYS_PATH=${file}`,
    `LOCKSTEP_FINGERPRINT_KEY_PATH=${fingerprintFile}`,
    "",
  ].join("\n");
}

// No top-level await: the root package is not "type": "module", so this may load as CommonJS.
main().then(
  (lines) => process.stdout.write(lines),
  (error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  },
);
