import { createEnv } from "@t3-oss/env-nextjs";
import { z } from "zod";

/** Read lazily at request time, so `next build` does not need production secrets. */
export const webEnv = () =>
  createEnv({
    server: {
      DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, "DATABASE_URL must start with postgres:// or postgresql://"),
      REDIS_URL: z.string().regex(/^rediss?:\/\//, "REDIS_URL must start with redis:// or rediss://"),
      LOCKSTEP_QUEUE_PREFIX: z.string().regex(/^[a-z0-9:_-]+$/).default("lockstep"),
      LOCKSTEP_SEAL_KEYS: z.string().min(1, "LOCKSTEP_SEAL_KEYS must list the public sealing keys (kid:base64url,…)"),
      NEXTAUTH_SECRET: z.string().min(32, "NEXTAUTH_SECRET must be at least 32 characters"),
    },
    client: {},
    experimental__runtimeEnv: {},
    emptyStringAsUndefined: true,
  });
