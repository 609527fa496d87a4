import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { forget, readConfig, readToken, saveLogin } from "./credentials";
import { cliEnv } from "./env";

const homes: string[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) rmSync(h, { recursive: true, force: true });
});

function envIn(extra: Record<string, string> = {}) {
  const home = mkdtempSync(join(tmpdir(), "lockstep-cred-"));
  homes.push(home);
  return cliEnv({ HOME: home, XDG_CONFIG_HOME: join(home, "cfg"), ...extra });
}

describe("lockstep login's credentials", () => {
  it("without a keychain: a 0600 file in a 0700 directory, read back, and gone after logout", async () => {
    const env = envIn({ LOCKSTEP_NO_KEYCHAIN: "1" });
    expect(env.configDir).toMatch(/\/cfg\/lockstep$/);
    expect(await saveLogin(env, "https://ls.example", "lst_abc")).toBe("file");
    const file = join(env.configDir, "credentials.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(env.configDir).mode & 0o777).toBe(0o700);
    // The URL goes to config.json, the token only to the credentials file.
    expect(readFileSync(join(env.configDir, "config.json"), "utf8")).not.toContain("lst_abc");
    const config = await readConfig(env);
    expect(config).toEqual({ url: "https://ls.example", tokenIn: "file" });
    expect(await readToken(env, config!)).toBe("lst_abc");
    await forget(env, config);
    expect(await readConfig(env)).toBeNull();
    expect(() => statSync(file)).toThrow();
  });

  it("tries the OS keychain first and reads the token back from wherever it went", async () => {
    const env = envIn();
    const where = await saveLogin(env, "https://ls.example", "lst_keychain");
    const config = (await readConfig(env))!;
    expect(config.tokenIn).toBe(where);
    expect(await readToken(env, config)).toBe("lst_keychain");
    if (where === "keychain") {
      expect(() => statSync(join(env.configDir, "credentials.json"))).toThrow();
      await forget(env, config);
    } else {
      expect(statSync(join(env.configDir, "credentials.json")).mode & 0o777).toBe(0o600);
    }
  });

  it("a relative XDG_CONFIG_HOME is ignored, as the XDG spec says", () => {
    expect(cliEnv({ HOME: "/home/x", XDG_CONFIG_HOME: "rel" }).configDir).toBe("/home/x/.config/lockstep");
  });
});
