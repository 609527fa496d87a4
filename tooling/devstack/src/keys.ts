import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { formatKeySpecs, generateKeyPair } from "@lockstep/crypto";
import { warn } from "./log";

export type TDevKeys = { sealKeys: string; openKeys: string; authSecret: string };

/**
 * Development keys, generated once into the data directory (mode 0600) and reused so secrets
 * sealed yesterday still open today. Production must configure its own.
 */
export async function ensureDevKeys(file: string): Promise<TDevKeys> {
  if (existsSync(file)) return JSON.parse(readFileSync(file, "utf8")) as TDevKeys;
  const kid = `dev-${new Date().toISOString().slice(0, 10).replace(/-/g, "")}`;
  const pair = await generateKeyPair(kid);
  const keys: TDevKeys = {
    sealKeys: formatKeySpecs([{ kid, key: pair.publicKey }]),
    openKeys: formatKeySpecs([{ kid, key: pair.privateKey }]),
    authSecret: randomBytes(32).toString("base64url"),
  };
  writeFileSync(file, JSON.stringify(keys, null, 2) + "\n", { mode: 0o600, flag: "wx" });
  warn(
    `generated development keys in ${file}. Production must set LOCKSTEP_SEAL_KEYS (web), ` +
      "a 0600 private keys file (worker: LOCKSTEP_OPEN_KEYS_FILE) and NEXTAUTH_SECRET itself — see .env.example.",
  );
  return keys;
}
