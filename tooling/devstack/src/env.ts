import { resolve } from "node:path";
import { z } from "zod";
import { SETUP_CODE_MIN_LENGTH } from "@lockstep/db";
import { StartupError } from "./log";

const port = (name: string, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a port number` })
    .int(`${name} must be a whole number`)
    .min(1, `${name} must be between 1 and 65535`)
    .max(65535, `${name} must be between 1 and 65535`)
    .default(fallback);

const ZStartEnv = z.object({
  PORT: port("PORT", 3000),
  WORKER_PORT: port("WORKER_PORT", 3001),
  LOCKSTEP_POSTGRES_PORT: port("LOCKSTEP_POSTGRES_PORT", 54329),
  LOCKSTEP_REDIS_PORT: port("LOCKSTEP_REDIS_PORT", 63799),
  LOCKSTEP_DATA_DIR: z.string().default(".data"),
  DATABASE_URL: z
    .url({ error: "DATABASE_URL must be a URL like postgres://user:password@host:5432/lockstep" })
    .refine((u) => /^postgres(ql)?:\/\//.test(u), "DATABASE_URL must start with postgres:// or postgresql://")
    .optional(),
  REDIS_URL: z
    .url({ error: "REDIS_URL must be a URL like redis://localhost:6379" })
    .refine((u) => /^rediss?:\/\//.test(u), "REDIS_URL must start with redis:// or rediss://")
    .optional(),
  LOCKSTEP_SEAL_KEYS: z.string().optional(),
  LOCKSTEP_OPEN_KEYS: z.string().optional(),
  LOCKSTEP_OPEN_KEYS_FILE: z.string().regex(/^\//, "LOCKSTEP_OPEN_KEYS_FILE must be an absolute path").optional(),
  LOCKSTEP_FINGERPRINT_KEY_FILE: z
    .string()
    .regex(/^\//, "LOCKSTEP_FINGERPRINT_KEY_FILE must be an absolute path")
    .optional(),
  NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters").optional(),
  NEXTAUTH_URL: z.url({ error: "NEXTAUTH_URL must be a URL like https://lockstep.example.org" }).optional(),
  LOCKSTEP_SETUP_CODE: z
    .string()
    .trim()
    .min(SETUP_CODE_MIN_LENGTH, `LOCKSTEP_SETUP_CODE must be at least ${SETUP_CODE_MIN_LENGTH} characters`)
    .optional(),
});

export type TStartEnv = z.infer<typeof ZStartEnv> & { dataDir: string };

/** Parses the start command's environment; the first problem becomes one line naming the variable. */
export function parseStartEnv(source: Record<string, string | undefined>, root: string): TStartEnv {
  const cleaned = Object.fromEntries(Object.entries(source).filter(([, v]) => v !== undefined && v !== ""));
  const parsed = ZStartEnv.safeParse(cleaned);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const variable = String(issue.path[0] ?? "environment");
    const message = issue.message.startsWith(variable) ? issue.message : `${variable}: ${issue.message}`;
    throw new StartupError(message);
  }
  if (parsed.data.PORT === parsed.data.WORKER_PORT) {
    throw new StartupError(`WORKER_PORT must differ from PORT (both are ${parsed.data.PORT})`);
  }
  return { ...parsed.data, dataDir: resolve(root, parsed.data.LOCKSTEP_DATA_DIR) };
}
