import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";
import { ZLocalPipelineRoots } from "@lockstep/validators";
import { dbEnv } from "@lockstep/db/env";
import { queueEnv } from "@lockstep/queue/env";

const flag = (fallback: "true" | "false") =>
  z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .default(fallback)
    .transform((v) => v === "true" || v === "1");

/** The web's own variables (the database's and the queue's come from their packages). */
const server = {
  LOCKSTEP_SEAL_KEYS: z.string().min(1, "LOCKSTEP_SEAL_KEYS must list the public sealing keys (kid:base64url,…)"),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters"),
  NEXTAUTH_URL: z.url().optional(),
  /** Who may create an account until an instance admin saves a policy on the Instance settings page. */
  LOCKSTEP_SIGNUP: z.enum(["open", "invite", "off"], { error: "must be open, invite or off" }).optional(),
  /** Deprecated (read for one release): true = open, false = off. LOCKSTEP_SIGNUP wins when both are set. */
  LOCKSTEP_SIGNUP_ENABLED: z
    .enum(["true", "false", "1", "0"], { error: "must be true or false" })
    .transform((v) => v === "true" || v === "1")
    .optional(),
  /**
   * Behind exactly one reverse proxy that appends the client's address to X-Forwarded-For: use
   * that entry (the last) as the client address. Otherwise the socket's address is used.
   */
  LOCKSTEP_TRUST_PROXY: flag("false"),
  /** Largest request body accepted (bytes); enforced by the front door (front-door.mjs), which reads the same variable. */
  LOCKSTEP_MAX_BODY_BYTES: z.coerce
    .number({ error: "LOCKSTEP_MAX_BODY_BYTES must be a number of bytes" })
    .int()
    .positive()
    .default(1024 * 1024),
  /** Longest lifetime of a new access token, in days. */
  LOCKSTEP_TOKEN_MAX_DAYS: z.coerce
    .number({ error: "LOCKSTEP_TOKEN_MAX_DAYS must be a number of days" })
    .int()
    .min(1)
    .max(3650)
    .default(90),
  /** Sign-ups accepted per client address per hour (raise it for many users behind one NAT). */
  LOCKSTEP_SIGNUPS_PER_ADDRESS_PER_HOUR: z.coerce.number().int().min(1).default(10),
  /** Directories local-path pipelines may live in (colon-separated absolute paths); unset refuses every local path. */
  LOCKSTEP_LOCAL_PIPELINE_ROOTS: ZLocalPipelineRoots,
  OIDC_ISSUER: z.url({ error: "OIDC_ISSUER must be the issuer URL" }).optional(),
  OIDC_CLIENT_ID: z.string().optional(),
  OIDC_CLIENT_SECRET: z.string().optional(),
  OIDC_DISPLAY_NAME: z.string().default("Single sign-on"),
};

function readWebEnv() {
  return createEnv({
    // DATABASE_URL, REDIS_URL and the queue prefix: declared once, by their packages.
    extends: [dbEnv(), queueEnv()],
    server,
    client: {},
    experimental__runtimeEnv: {},
    emptyStringAsUndefined: true,
  });
}

let last: { names: string[]; values: Array<string | undefined>; env: ReturnType<typeof readWebEnv> } | null = null;

/**
 * Read lazily at request time, so `next build` does not need production secrets; parsed again
 * only when one of the variables it read has changed. A parse is about 2 ms of zod and a tRPC
 * request reads the configuration several times (issue #15), so the same values give the same
 * object; a changed (or invalid) variable is seen by the very next call.
 */
export const webEnv = () => {
  const seen = last;
  if (seen && seen.names.every((name, i) => process.env[name] === seen.values[i])) return seen.env;
  const env = readWebEnv();
  const names = [...new Set([...Object.keys(server), ...Object.keys(env)])];
  last = { names, values: names.map((name) => process.env[name]), env };
  return env;
};

export type TWebEnv = ReturnType<typeof webEnv>;

/** `next dev` (React needs eval there for its debugging aids; production never does). */
export const isDevServer = () => process.env.NODE_ENV === "development";

export function oidcConfig(env: TWebEnv) {
  if (!env.OIDC_ISSUER) return null;
  if (!env.OIDC_CLIENT_ID || !env.OIDC_CLIENT_SECRET) {
    throw new Error("OIDC_ISSUER is set: OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are required too");
  }
  return {
    issuer: env.OIDC_ISSUER,
    clientId: env.OIDC_CLIENT_ID,
    clientSecret: env.OIDC_CLIENT_SECRET,
    name: env.OIDC_DISPLAY_NAME,
  };
}

let warnedAboutSignupEnabled = false;

/**
 * The sign-up policy the environment sets: LOCKSTEP_SIGNUP, default `invite`. The old
 * LOCKSTEP_SIGNUP_ENABLED still counts for one release (true → open, false → off), with a warning,
 * so an upgrade does not silently open or close an instance that set it.
 */
export function signupDefault(env: TWebEnv): "open" | "invite" | "off" {
  if (env.LOCKSTEP_SIGNUP_ENABLED !== undefined && !warnedAboutSignupEnabled) {
    warnedAboutSignupEnabled = true;
    const msg = env.LOCKSTEP_SIGNUP
      ? "LOCKSTEP_SIGNUP_ENABLED is deprecated and ignored because LOCKSTEP_SIGNUP is set; remove it"
      : `LOCKSTEP_SIGNUP_ENABLED is deprecated: set LOCKSTEP_SIGNUP=${env.LOCKSTEP_SIGNUP_ENABLED ? "open" : "off"} instead (it will stop being read in the next release)`;
    console.warn(JSON.stringify({ level: "warn", msg }));
  }
  if (env.LOCKSTEP_SIGNUP) return env.LOCKSTEP_SIGNUP;
  if (env.LOCKSTEP_SIGNUP_ENABLED !== undefined) return env.LOCKSTEP_SIGNUP_ENABLED ? "open" : "off";
  return "invite";
}
