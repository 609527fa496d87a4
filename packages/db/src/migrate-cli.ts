import { createDatabase } from "./client";
import { migrateEnv } from "./env";
import { runMigrations } from "./migrate";
import { ensureSetupCode } from "./queries/setup";

const env = migrateEnv();
await runMigrations(env.DATABASE_URL);
console.log("[lockstep] database migrations applied");

// Every deployment runs this step at start, so it is where an instance without an admin gets its
// setup code. The code is printed here, once, and nowhere else (only its hash is stored).
const { db, close } = createDatabase(env.DATABASE_URL, { max: 1, applicationName: "lockstep-migrate" });
try {
  const setup = await ensureSetupCode(db, env.LOCKSTEP_SETUP_CODE);
  if (setup.status === "generated") {
    console.log(`[lockstep] this instance has no admin yet. setup code: ${setup.code}`);
    console.log(
      "[lockstep] sign up at /sign-up with this code to become the instance admin (a new code is made at each start until then)",
    );
  } else if (setup.status === "preset") {
    console.log(
      "[lockstep] this instance has no admin yet: sign up at /sign-up with the setup code from LOCKSTEP_SETUP_CODE",
    );
  }
} finally {
  await close();
}
