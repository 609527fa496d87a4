import { createEnv } from "@t3-oss/env-core";
import { z } from "zod";

export const queueEnv = () =>
  createEnv({
    server: {
      REDIS_URL: z
        .string({ error: "REDIS_URL is required (redis://host:port)" })
        .regex(/^rediss?:\/\//, "REDIS_URL must start with redis:// or rediss://"),
      LOCKSTEP_QUEUE_PREFIX: z
        .string()
        .regex(/^[a-z0-9:_-]+$/)
        .default("lockstep"),
    },
    runtimeEnv: process.env,
    emptyStringAsUndefined: true,
  });
