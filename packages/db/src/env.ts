import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";

/** Shortest LOCKSTEP_SETUP_CODE accepted: the code is all that stands between a stranger and the instance. */
export const SETUP_CODE_MIN_LENGTH = 16;

/**
 * The database's own variables, declared once: the apps extend this (`extends: [dbEnv()]`), as
 * create-t3-turbo's apps do. Its own module (`@lockstep/db/env`) so that importing it loads no driver.
 */
export const dbEnv = () =>
  createEnv({
    server: {
      DATABASE_URL: z
        .string({ error: "DATABASE_URL is required (postgres://user:password@host:port/database)" })
        .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://"),
      /** Presets the one-time setup code the first account needs to become instance admin (automated deployments). */
      LOCKSTEP_SETUP_CODE: z
        .string()
        .trim()
        .min(SETUP_CODE_MIN_LENGTH, `LOCKSTEP_SETUP_CODE must be at least ${SETUP_CODE_MIN_LENGTH} characters`)
        .optional(),
    },
    runtimeEnv: process.env,
    emptyStringAsUndefined: true,
  });
