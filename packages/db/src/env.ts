import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";

export const dbEnv = () =>
  createEnv({
    server: {
      DATABASE_URL: z
        .string({ error: "DATABASE_URL is required (postgres://user:password@host:port/database)" })
        .regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://"),
      DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(100).default(10),
    },
    runtimeEnv: process.env,
    emptyStringAsUndefined: true,
  });
