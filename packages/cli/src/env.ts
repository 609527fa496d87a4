import { homedir } from "node:os";
import { join } from "node:path";

/** The environment the CLI reads (the only file that reads process.env). */
export type TCliEnv = {
  /** LOCKSTEP_URL: the instance, overriding the one saved by `lockstep login`. */
  url: string | undefined;
  /** LOCKSTEP_TOKEN: an access token, overriding the saved one (for CI). */
  token: string | undefined;
  /** LOCKSTEP_WORKSPACE: the default workspace (id or slug) when -w is not given. */
  workspace: string | undefined;
  /** Where config and the fallback credentials file live: $XDG_CONFIG_HOME/lockstep or ~/.config/lockstep. */
  configDir: string;
  /** LOCKSTEP_NO_KEYCHAIN=1: never use the OS keychain (the 0600 file only). */
  noKeychain: boolean;
};

export function cliEnv(env: NodeJS.ProcessEnv = process.env): TCliEnv {
  const base =
    env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith("/")
      ? env.XDG_CONFIG_HOME
      : join(env.HOME ?? homedir(), ".config");
  return {
    url: env.LOCKSTEP_URL || undefined,
    token: env.LOCKSTEP_TOKEN || undefined,
    workspace: env.LOCKSTEP_WORKSPACE || undefined,
    configDir: join(base, "lockstep"),
    noKeychain: env.LOCKSTEP_NO_KEYCHAIN === "1" || env.LOCKSTEP_NO_KEYCHAIN === "true",
  };
}
