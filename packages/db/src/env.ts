import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";
import { SETUP_CODE_MIN_LENGTH } from "./queries/setup";

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
