import { chmod, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import type { TCliEnv } from "./env";

/**
 * Where `lockstep login` keeps things: the instance URL in config.json, the token in the OS keychain
 * (macOS Keychain, Windows Credential Manager, the Secret Service on Linux) when one answers, else
 * in credentials.json, mode 0600 in a 0700 directory. The token is never written anywhere else.
 */
export type TConfig = { url: string; tokenIn: "keychain" | "file" };

const SERVICE = "lockstep";

type TKeyringEntry = {
  setPassword(p: string): void;
  getPassword(): string | null | undefined;
  deletePassword(): boolean;
};

async function keychainEntry(url: string): Promise<TKeyringEntry | null> {
  try {
    const { Entry } = await import("@napi-rs/keyring");
    return new Entry(SERVICE, url) as TKeyringEntry;
  } catch {
    return null; // no native module for this platform
  }
}

async function writePrivate(path: string, text: string) {
  await writeFile(path, text, { mode: 0o600 });
  await chmod(path, 0o600); // an existing file keeps its mode on write
}

export async function readConfig(env: TCliEnv): Promise<TConfig | null> {
  try {
    return JSON.parse(await readFile(join(env.configDir, "config.json"), "utf8")) as TConfig;
  } catch {
    return null;
  }
}

/** Saves the URL and token; says where the token went. */
export async function saveLogin(env: TCliEnv, url: string, token: string): Promise<"keychain" | "file"> {
  await mkdir(env.configDir, { recursive: true, mode: 0o700 });
  await chmod(env.configDir, 0o700);
  let tokenIn: "keychain" | "file" = "file";
  if (!env.noKeychain) {
    const entry = await keychainEntry(url);
    try {
      entry?.setPassword(token);
      if (entry && entry.getPassword() === token) tokenIn = "keychain";
    } catch {
      // No keychain here (no D-Bus Secret Service, locked, refused): the file below.
    }
  }
  const credentials = join(env.configDir, "credentials.json");
  if (tokenIn === "file") await writePrivate(credentials, `${JSON.stringify({ [url]: token })}\n`);
  else await rm(credentials, { force: true });
  await writePrivate(join(env.configDir, "config.json"), `${JSON.stringify({ url, tokenIn } satisfies TConfig)}\n`);
  return tokenIn;
}

export async function readToken(env: TCliEnv, config: TConfig): Promise<string | null> {
  if (config.tokenIn === "keychain") {
    try {
      return (await keychainEntry(config.url))?.getPassword() ?? null;
    } catch {
      return null;
    }
  }
  try {
    const saved = JSON.parse(await readFile(join(env.configDir, "credentials.json"), "utf8")) as Record<string, string>;
    return saved[config.url] ?? null;
  } catch {
    return null;
  }
}

export async function forget(env: TCliEnv, config: TConfig | null) {
  if (config?.tokenIn === "keychain") {
    try {
      (await keychainEntry(config.url))?.deletePassword();
    } catch {
      // nothing to delete
    }
  }
  await rm(join(env.configDir, "credentials.json"), { force: true });
  await rm(join(env.configDir, "config.json"), { force: true });
}
