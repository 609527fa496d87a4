import { dbEnv } from "./env";
import { runMigrations } from "./migrate";

const env = dbEnv();
await runMigrations(env.DATABASE_URL);
console.log("[lockstep] database migrations applied");
